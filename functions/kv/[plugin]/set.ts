import { subjectAddressed } from "../_define.ts";
import { SET } from "../_operations.ts";

export default subjectAddressed(SET);
