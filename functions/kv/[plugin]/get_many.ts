import { subjectAddressed } from "../_define.ts";
import { GET_MANY } from "../_operations.ts";

export default subjectAddressed(GET_MANY);
