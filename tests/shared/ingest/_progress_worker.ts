/** Commits on a thread of its own, as the ingest thread does: `{ buffer, upTo }` in, "done" out. */
import { IngestProgress } from "../../../shared/ingest/progress.ts";

const port = self as unknown as {
  onmessage: (event: MessageEvent<{ buffer: SharedArrayBuffer; upTo: number }>) => void;
  postMessage(message: string): void;
};

port.onmessage = ({ data }) => {
  new IngestProgress(data.buffer).committed(data.upTo);
  port.postMessage("done");
};
