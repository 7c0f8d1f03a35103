/** Turns a raw NATS payload into a function's validated input, or a ServiceError saying why not. */
import type { z } from "zod";
import { type InputIssue, ServiceError } from "./errors.ts";

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Size check → UTF-8 → JSON → zod. An empty payload is read as `{}`. */
export function decodeInput<S extends z.ZodType>(schema: S, data: Uint8Array, maxBytes: number): z.output<S> {
  if (data.length > maxBytes) {
    throw new ServiceError(413, `Payload too large: ${data.length} bytes (limit ${maxBytes})`);
  }
  let value: unknown = {};
  if (data.length > 0) {
    let text: string;
    try {
      text = utf8.decode(data);
    } catch {
      throw new ServiceError(400, "Invalid payload: not UTF-8 text");
    }
    if (text.trim() !== "") {
      try {
        value = JSON.parse(text);
      } catch (error) {
        throw new ServiceError(400, `Invalid JSON: ${(error as Error).message}`);
      }
    }
  }
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues: InputIssue[] = parsed.error.issues.map((issue) => ({
    path: issue.path.map((p) => typeof p === "symbol" ? String(p) : p),
    message: issue.message,
  }));
  const summary = issues.map((i) => (i.path.length > 0 ? `${i.path.join(".")}: ` : "") + i.message).join("; ");
  throw new ServiceError(400, `Invalid input: ${summary}`, issues);
}
