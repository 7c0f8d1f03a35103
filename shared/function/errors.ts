/** Service errors: a numeric code that travels as ADR-32 headers and an `{error}` body. */

/** The error codes callers see, by HTTP-like status. */
export const ERROR_NAMES = {
  400: "invalid_input",
  404: "not_found",
  409: "conflict",
  413: "too_large",
  500: "internal",
  503: "unavailable",
} as const;

export type ErrorStatus = keyof typeof ERROR_NAMES;

/** One problem with an input: the path of the field at fault (empty for the whole payload) and what it accepts. */
export interface InputIssue {
  path: (string | number)[];
  message: string;
}

/** An error a handler throws on purpose; its message is shown to the caller. */
export class ServiceError extends Error {
  constructor(readonly status: ErrorStatus, message: string, readonly issues: InputIssue[] = []) {
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
