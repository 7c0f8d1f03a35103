/** Raises a 404-coded error when an outbound message id does not exist. */
import { ServiceError } from "../../../shared/function/errors.ts";

export function requireUpdated(changes: number, id: number) {
  if (changes === 0) throw new ServiceError(404, `Unknown outbound message: ${id}`);
}
