import { payloadAddressed } from "./_define.ts";
import { SET } from "./_operations.ts";

export default payloadAddressed(SET);
