/**
 * Service errors: a numeric code that travels as ADR-32 headers and, in the body, either the ADR-32
 * style `{error:{code, message, issues?}}` or Rosey's plugin style `{success:false, error:{code, message}}`.
 */

/** The error codes callers see, by HTTP-like status. */
export const ERROR_NAMES = {
  400: "invalid_input",
  404: "not_found",
  409: "conflict",
  413: "too_large",
  422: "unprocessable",
  500: "internal",
  503: "unavailable",
} as const;

export type ErrorStatus = keyof typeof ERROR_NAMES;

/** The error codes of Rosey's plugin style (see README "Errors"), finer than the status. */
export type RoseyErrorCode =
  | "INVALID_JSON"
  | "MISSING_FIELD"
  | "VALIDATION_ERROR"
  | "INVALID_SUBJECT"
  | "NOT_FOUND"
  | "CONFLICT"
  | "LOCK_TIMEOUT"
  | "VALUE_TOO_LARGE"
  | "MIGRATION_FAILED"
  | "ROLLBACK_FAILED"
  | "NOT_CONFIGURED"
  | "DATABASE_ERROR"
  | "INTERNAL_ERROR";

/** A Rosey-style code for an error that names none: the one its status stands for. */
const ROSEY_CODES: Record<ErrorStatus, RoseyErrorCode> = {
  400: "VALIDATION_ERROR",
  404: "NOT_FOUND",
  409: "CONFLICT",
  413: "VALUE_TOO_LARGE",
  422: "MIGRATION_FAILED",
  500: "INTERNAL_ERROR",
  503: "DATABASE_ERROR",
};

/** One problem with an input: the path of the field at fault (empty for the whole payload) and what it accepts. */
export interface InputIssue {
  path: (string | number)[];
  message: string;
}

/** An error a handler throws on purpose; its message is shown to the caller. */
export class ServiceError extends Error {
  constructor(
    readonly status: ErrorStatus,
    message: string,
    readonly issues: InputIssue[] = [],
    /** The finer code of Rosey's plugin style; by default the one the status stands for. */
    readonly roseyCode: RoseyErrorCode = ROSEY_CODES[status],
  ) {
    super(message);
    this.name = "ServiceError";
  }

  get code(): string {
    return ERROR_NAMES[this.status];
  }

  /** The JSON body of an error reply. */
  toBody(): { error: { code: string; message: string; issues?: InputIssue[] } } {
    const error = { code: this.code, message: this.message };
    return { error: this.issues.length > 0 ? { ...error, issues: this.issues } : error };
  }

  /** The JSON body of an error reply in Rosey's plugin style. */
  toRoseyBody(): { success: false; error: { code: RoseyErrorCode; message: string } } {
    return { success: false, error: { code: this.roseyCode, message: this.message } };
  }
}

/** Maps anything thrown to a ServiceError whose message is safe to show (no SQL, no stack). */
export function toServiceError(error: unknown): ServiceError {
  if (error instanceof ServiceError) return error;
  if (isBusy(error)) return new ServiceError(503, "Database is busy: try again");
  return new ServiceError(500, "Internal error");
}

/** Whether an error is SQLite's "database is locked/busy". */
export function isBusy(error: unknown): boolean {
  const text = String((error as { code?: string })?.code ?? "") + " " + String((error as Error)?.message ?? "");
  return /SQLITE_BUSY|SQLITE_LOCKED|database is locked/i.test(text);
}
