import { subjectAddressed } from "../_define.ts";
import { DELETE } from "../_operations.ts";

export default subjectAddressed(DELETE);
