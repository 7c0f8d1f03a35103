import { subjectAddressed } from "../_define.ts";
import { LIST } from "../_operations.ts";

export default subjectAddressed(LIST);
