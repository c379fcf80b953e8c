// The bench's load, in a process of its own: the bench's own work (spawning hop3, reading its
// output) would otherwise run on the event loop that times each request, and count as latency.
import autocannon from "autocannon";

const [url, host] = process.argv.slice(2) as [string, string];
const codes: string[] = [];
/** Per answered request: when it ended (ms since the epoch, the bench's clock too) and how long it took. */
const samples: number[] = [];
const load = autocannon({ url, headers: { Host: host }, connections: 16, overallRate: 500, duration: 600 }, (error, result) => {
  process.send!(
    error
      ? { error: String(error) }
      : { total: result.requests.total, errors: result.errors, non2xx: result.non2xx, timeouts: result.timeouts, codes, samples },
    () => process.disconnect(),
  );
});
load.on("response", (_client: unknown, _status: number, _bytes: number, duration: number) => samples.push(Date.now(), duration));
load.on("reqError", (error: NodeJS.ErrnoException) => codes.push(error.code ?? error.message));
process.once("message", () => load.stop());
process.send!({ ready: true });
