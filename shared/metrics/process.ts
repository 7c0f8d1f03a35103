/** Process metrics under their standard names, read at scrape time. */
import process from "node:process";
import { PREFIX, Sampled } from "./registry.ts";

/**
 * The standard process metrics (https://prometheus.io/docs/instrumenting/writing_clientlibs/#process-metrics)
 * that this runtime can give: those read from /proc only on Linux and with read access to it.
 */
export function processMetrics(): Sampled[] {
  const startTime = performance.timeOrigin / 1000;
  const gauge = (name: string, help: string, read: () => number | undefined) => new Sampled(name, help, "gauge", read);
  return [
    new Sampled("process_cpu_seconds_total", "Total user and system CPU time spent in seconds", "counter", () => {
      const usage = process.cpuUsage();
      return (usage.user + usage.system) / 1e6;
    }),
    gauge("process_resident_memory_bytes", "Resident memory size in bytes", () => Deno.memoryUsage().rss),
    // vsize is the 23rd field of the line, the 21st after "(comm) ".
    gauge(
      "process_virtual_memory_bytes",
      "Virtual memory size in bytes",
      () => tryRead(() => Number(Deno.readTextFileSync("/proc/self/stat").split(") ")[1].split(" ")[20])),
    ),
    gauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds", () => startTime),
    gauge(
      "process_open_fds",
      "Number of open file descriptors",
      () => tryRead(() => [...Deno.readDirSync("/proc/self/fd")].length),
    ),
    // The soft limit; "unlimited" has no number, and no sample then.
    gauge(
      "process_max_fds",
      "Maximum number of open file descriptors",
      () => tryRead(() => Number(/^Max open files +(\d+)/m.exec(Deno.readTextFileSync("/proc/self/limits"))![1])),
    ),
    gauge(`${PREFIX}process_heap_used_bytes`, "V8 heap in use", () => Deno.memoryUsage().heapUsed),
  ];
}

/** What `read` returns, or undefined where it cannot be read here (no /proc, no read access). */
function tryRead(read: () => number): number | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}
