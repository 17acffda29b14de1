// One "host" of a split deployment: runs the services it is given (scripts/services.ts) in the
// network namespace it was started in (`ip netns exec <ns> node --import tsx scripts/netns-service.ts`,
// see scripts/e2e-netns-server.ts), so the whole tier of a party — its gateway, `next start`,
// its worker — lives in that namespace's network stack and nothing of it listens elsewhere.
//
// Its configuration (each service's environment, ports, listen addresses) arrives as one JSON
// line on stdin, never in its own environment; it stops when stdin closes (the launcher died),
// on SIGTERM or when a service gives up. It says `[netns-service] ready {pids}` once listening.
import { connect, createServer } from "node:net";
import { createInterface } from "node:readline";
import { READY, type NetnsServiceConfig } from "./netns";
import { startServices, type Services } from "./services";

let services: Services | null = null;
let stopping = false;
async function stop(code: number) {
  if (stopping) return;
  stopping = true;
  await services?.stop();
  process.exit(code);
}
process.on("SIGTERM", () => void stop(0));
process.on("SIGINT", () => void stop(0));

const lines = createInterface({ input: process.stdin });
const first = await new Promise<string | null>((resolve) => {
  lines.once("line", resolve);
  lines.once("close", () => resolve(null));
});
if (first === null) process.exit(1);
lines.on("close", () => void stop(0)); // the launcher is gone
const config = JSON.parse(first) as NetnsServiceConfig;

services = await startServices({
  ...config,
  log: (m) => console.error(`[medshare] ${m}`),
  onGiveUp: () => void stop(1),
});
if (config.forward) {
  const { listen, to, port } = config.forward;
  const proxy = createServer((inbound) => {
    const outbound = connect(port, to);
    inbound.pipe(outbound).pipe(inbound);
    const close = () => (inbound.destroy(), outbound.destroy());
    inbound.on("error", close);
    outbound.on("error", close);
  });
  await new Promise<void>((resolve, reject) => proxy.once("error", reject).listen(port, listen, resolve));
}
const pids = { authority: services.authority?.next.pid() ?? null, csp: services.csp?.next.pid() ?? null, worker: services.worker?.pid() ?? null };
process.stdout.write(`${READY}${JSON.stringify(pids)}\n`);
