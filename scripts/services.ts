// Every party as its own OS process (DESIGN.md "Parties and trust"): the CSP's service, the
// authority's (the portal people open) and the clustering worker, each with its own
// environment and database role, talking HTTP over loopback — the same path as two hosts.
// Used by `npm start`, the e2e server and `npm run load`.
import type { Supervised } from "./supervisor";
import { startWebTier, type WebOptions, type WebTier } from "./web-process";
import { superviseWorker } from "./worker-process";
import { aaReady, superviseAa } from "./aa-process";

/** One attribute authority's service (scripts/aa.ts): its process and where the portal reaches it. */
export type AaRunning = { name: string; url: string; process: Supervised };

/** `worker` is the first clustering worker; `workers` all of them (MEDSHARE_CLUSTERING_WORKERS). */
export type Services = {
  authority: WebTier | null;
  csp: WebTier | null;
  worker: Supervised | null;
  workers: Supervised[];
  /** The attribute authorities' services this launcher runs. */
  aas: AaRunning[];
  stop(): Promise<void>;
  /** Stops the CSP's service alone (gateway and next-servers), as an outage would; `startCsp` brings it back on the same port. */
  stopCsp(): Promise<void>;
  startCsp(): Promise<void>;
};

export type ServiceOptions = {
  envs: { authority?: NodeJS.ProcessEnv; csp?: NodeJS.ProcessEnv; clustering?: NodeJS.ProcessEnv };
  /** Attribute authorities to run (lib/db/bootstrap.ts aaEnvs). */
  aas?: Array<{ name: string; env: NodeJS.ProcessEnv; url: string }>;
  /** The portal's public port, and the CSP's. */
  port: number;
  cspPort: number;
  /** Where the CSP listens (loopback unless it serves another host). */
  cspHost?: string;
  host?: string;
  dev?: boolean;
  output?: WebOptions["output"];
  workerOutput?: (d: Buffer) => void;
  log?: (m: string) => void;
  onGiveUp: (reason: string) => void;
  onStart?: () => void;
  workerWanted?: boolean;
  /** Scale-out on one PostgreSQL: CSP web processes behind its gateway, clustering workers on the pg-boss queue (default 1 each). */
  cspProcesses?: number;
  workers?: number;
};

/** A count from the environment (MEDSHARE_CSP_PROCESSES, MEDSHARE_CLUSTERING_WORKERS): 1 to 16, default 1. */
export function countFrom(value: string | undefined, name: string): number {
  if (value === undefined || value === "") return 1;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 16) throw new Error(`${name} must be a whole number from 1 to 16`);
  return n;
}

/**
 * One request as soon as the CSP's Next answers, so its first real caller (a hospital's upload,
 * /admin's health check with its 5 s limit) does not pay for loading the route and opening the
 * database pool: seconds on a busy host.
 */
async function warmUp(internalPort: number) {
  const until = Date.now() + 120_000;
  while (Date.now() < until) {
    const answered = await fetch(`http://127.0.0.1:${internalPort}/api/health`, { signal: AbortSignal.timeout(30_000) }).then(
      (r) => r.status === 200 || r.status === 503,
      () => false,
    );
    if (answered) return;
    await new Promise((resolve) => setTimeout(resolve, 500).unref());
  }
}

export async function startServices(opts: ServiceOptions): Promise<Services> {
  const common = { dev: opts.dev, output: opts.output, log: opts.log, onGiveUp: opts.onGiveUp, onStart: () => opts.onStart && setImmediate(opts.onStart) };
  const workers =
    opts.envs.clustering && opts.workerWanted !== false
      ? Array.from({ length: Math.max(1, opts.workers ?? 1) }, () =>
          superviseWorker(opts.envs.clustering!, { output: opts.workerOutput, onGiveUp: opts.onGiveUp }),
        )
      : [];
  // The CSP first: the portal's first pages already call it.
  const startCsp = async () => {
    const tier = opts.envs.csp
      ? await startWebTier({
          ...common,
          env: opts.envs.csp,
          publicPort: opts.cspPort,
          host: opts.cspHost ?? "127.0.0.1",
          name: "the CSP service",
          processes: opts.cspProcesses,
        })
      : null;
    for (const port of tier?.internalPorts ?? []) void warmUp(port);
    return tier;
  };
  const csp = await startCsp();
  // The attribute authorities before the portal: creating an attribute or issuing a key calls them.
  const aas: AaRunning[] = (opts.aas ?? []).map((aa) => ({
    name: aa.name,
    url: aa.url,
    process: superviseAa(aa.name, aa.env, { output: opts.workerOutput, onGiveUp: opts.onGiveUp }),
  }));
  for (const aa of aas) if (!(await aaReady(aa.url))) opts.log?.(`the attribute authority ${aa.name} did not answer at ${aa.url} yet`);
  const authority = opts.envs.authority ? await startWebTier({ ...common, env: opts.envs.authority, publicPort: opts.port, host: opts.host }) : null;
  const services: Services = {
    authority,
    csp,
    worker: workers[0] ?? null,
    workers,
    aas,
    async stop() {
      await Promise.all([...workers.map((w) => w.stop()), ...aas.map((a) => a.process.stop()), authority?.stop(), services.csp?.stop()]);
    },
    async stopCsp() {
      const running = services.csp;
      services.csp = null;
      await running?.stop();
    },
    async startCsp() {
      if (!services.csp) services.csp = await startCsp();
    },
  };
  return services;
}
