import { payloadAddressed } from "./_define.ts";
import { DELETE } from "./_operations.ts";

export default payloadAddressed(DELETE);
