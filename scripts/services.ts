// Every party as its own OS process (DESIGN.md "Parties and trust"): the CSP's service, the
// authority's (the portal people open) and the clustering worker, each with its own
// environment and database role, talking HTTP over loopback — the same path as two hosts.
// Used by `npm start`, the e2e server and `npm run load`.
import type { Supervised } from "./supervisor";
import { startWebTier, type WebOptions, type WebTier } from "./web-process";
import { superviseWorker } from "./worker-process";

export type Services = { authority: WebTier | null; csp: WebTier | null; worker: Supervised | null; stop(): Promise<void> };

export type ServiceOptions = {
  envs: { authority?: NodeJS.ProcessEnv; csp?: NodeJS.ProcessEnv; clustering?: NodeJS.ProcessEnv };
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
};

export async function startServices(opts: ServiceOptions): Promise<Services> {
  const common = { dev: opts.dev, output: opts.output, log: opts.log, onGiveUp: opts.onGiveUp, onStart: () => opts.onStart && setImmediate(opts.onStart) };
  const worker = opts.envs.clustering && opts.workerWanted !== false ? superviseWorker(opts.envs.clustering, { output: opts.workerOutput, onGiveUp: opts.onGiveUp }) : null;
  // The CSP first: the portal's first pages already call it.
  const csp = opts.envs.csp ? await startWebTier({ ...common, env: opts.envs.csp, publicPort: opts.cspPort, host: opts.cspHost ?? "127.0.0.1", name: "the CSP service" }) : null;
  const authority = opts.envs.authority ? await startWebTier({ ...common, env: opts.envs.authority, publicPort: opts.port, host: opts.host }) : null;
  return {
    authority,
    csp,
    worker,
    async stop() {
      await Promise.all([worker?.stop(), authority?.stop(), csp?.stop()]);
    },
  };
}
