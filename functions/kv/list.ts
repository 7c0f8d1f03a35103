import { payloadAddressed } from "./_define.ts";
import { LIST } from "./_operations.ts";

export default payloadAddressed(LIST);
