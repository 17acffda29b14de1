// The web tier as `npm start` and the e2e server run it: the front gateway (lib/gateway) on the
// public port, `next start` behind it on 127.0.0.1 and a free internal port, restarted when it dies.
import { spawn, type ChildProcess } from "node:child_process";
import type { Server } from "node:http";
import { trustedProxies } from "@/lib/gateway/client-address";
import { createGateway, freePort, UPSTREAM_IDLE_MS } from "@/lib/gateway/server";
import { supervise, type RestartPolicy, type Supervised } from "./supervisor";
import { NEXT_BIN, webEnv } from "./worker-process";

/** next-server's keep-alive for the gateway's sockets: over twice the gateway's own idle limit. */
const NEXT_KEEP_ALIVE_MS = UPSTREAM_IDLE_MS + 35_000;

/** `next` is the first of the tier's `next start` processes; `replicas` all of them (MEDSHARE_CSP_PROCESSES). */
export type WebTier = { gateway: Server; next: Supervised; replicas: Supervised[]; internalPort: number; internalPorts: number[]; stop(): Promise<void> };

export type WebOptions = {
  env: NodeJS.ProcessEnv;
  publicPort: number;
  /** Host the gateway listens on (default: all interfaces, as `next start` did). */
  host?: string;
  dev?: boolean;
  output?: { stdout: (d: Buffer) => void; stderr: (d: Buffer) => void };
  policy?: RestartPolicy;
  log?: (m: string) => void;
  onGiveUp: (reason: string) => void;
  onStart?: (child: ChildProcess) => void;
  /** How the supervisor names it in messages ("the CSP service"). */
  name?: string;
  /** `next start` processes behind the gateway, taking requests in turn (default 1). */
  processes?: number;
};

export async function startWebTier(opts: WebOptions): Promise<WebTier> {
  const count = Math.max(1, opts.processes ?? 1);
  const ports: number[] = [];
  for (let i = 0; i < count; i++) ports.push(await freePort());
  const env = webEnv({ ...opts.env, MEDSHARE_GATEWAY: "1" });
  const replicas = ports.map((internalPort, i) =>
    supervise({
      name: count > 1 ? `${opts.name ?? "the web server"} (process ${i + 1})` : (opts.name ?? "the web server"),
      policy: opts.policy,
      log: opts.log,
      onGiveUp: opts.onGiveUp,
      onStart: opts.onStart,
      spawn: () => {
        // Next keeps an idle socket from the gateway longer than the gateway keeps it (lib/gateway/server.ts
        // UPSTREAM_IDLE_MS), so the gateway is the one that closes it and never sends on a closing socket.
        const args = opts.dev ? ["dev"] : ["start", "--keepAliveTimeout", String(NEXT_KEEP_ALIVE_MS)];
        const child = spawn(process.execPath, [NEXT_BIN, ...args, "-H", "127.0.0.1", "-p", String(internalPort)], {
          stdio: ["ignore", opts.output ? "pipe" : "inherit", opts.output ? "pipe" : "inherit"],
          env,
        });
        if (opts.output) {
          child.stdout!.on("data", opts.output.stdout);
          child.stderr!.on("data", opts.output.stderr);
        }
        return child;
      },
    }),
  );
  // Several processes take requests in turn (the state they share is in PostgreSQL).
  let turn = 0;
  const gateway = createGateway({
    upstream: () => ({ host: "127.0.0.1", port: ports[turn++ % ports.length] }),
    trusted: trustedProxies(opts.env.MEDSHARE_TRUSTED_PROXIES),
    allowedOrigins: opts.env.NEXTAUTH_URL ? [new URL(opts.env.NEXTAUTH_URL).origin] : [],
  });
  await new Promise<void>((resolve, reject) => {
    gateway.once("error", reject);
    gateway.listen(opts.publicPort, opts.host, () => resolve());
  });
  return {
    gateway,
    next: replicas[0],
    replicas,
    internalPort: ports[0],
    internalPorts: ports,
    async stop() {
      gateway.close();
      gateway.closeAllConnections();
      await Promise.all(replicas.map((r) => r.stop()));
    },
  };
}
