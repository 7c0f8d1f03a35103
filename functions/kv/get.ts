import { payloadAddressed } from "./_define.ts";
import { GET } from "./_operations.ts";

export default payloadAddressed(GET);
