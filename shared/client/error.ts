/** The error a client call rejects with. */

/** Raised for invalid input, an ADR-32 error reply, or an event the stream did not acknowledge. */
export class RoseyError extends Error {
  constructor(readonly status: number, message: string, readonly subject: string) {
    super(message);
    this.name = "RoseyError";
  }
}
