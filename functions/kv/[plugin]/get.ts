import { subjectAddressed } from "../_define.ts";
import { GET } from "../_operations.ts";

export default subjectAddressed(GET);
