/** The calling thread's CPU priority, through the C library (Linux with glibc). */

const PRIO_PROCESS = 0;
/** The lowest priority a nice value gives. */
const NICE_MAX = 19;

/**
 * Raises the calling thread's nice value by `steps` (up to 19), so that the process's other
 * threads get the CPU first when it is scarce. Returns why it could not, or undefined.
 */
export function lowerThreadPriority(steps: number): string | undefined {
  if (steps === 0) return undefined;
  if (Deno.build.os !== "linux") return `not supported on ${Deno.build.os}`;
  let libc;
  try {
    libc = Deno.dlopen("libc.so.6", {
      gettid: { parameters: [], result: "i32" },
      getpriority: { parameters: ["i32", "u32"], result: "i32" },
      setpriority: { parameters: ["i32", "u32", "i32"], result: "i32" },
    });
  } catch (error) {
    return (error as Error).message;
  }
  try {
    // On Linux a thread id names one thread where the call expects a process.
    const tid = libc.symbols.gettid();
    const nice = Math.min(NICE_MAX, libc.symbols.getpriority(PRIO_PROCESS, tid) + steps);
    return libc.symbols.setpriority(PRIO_PROCESS, tid, nice) === 0 ? undefined : "setpriority failed";
  } finally {
    libc.close();
  }
}
