import { subjectAddressed } from "../_define.ts";
import { INCR } from "../_operations.ts";

export default subjectAddressed(INCR);
