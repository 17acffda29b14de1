// Two "hosts" on one machine for a test (issue #12): the authority's and the CSP's services in
// two Linux network namespaces, linked by a veth pair, each also linked to the root namespace
// (where the browser and PostgreSQL run). No namespace routes for another: the root namespace
// does not forward (ip_forward is not touched), and the namespaces only know their own links,
// so the authority reaches the CSP only over their shared link.
//
//   root ── 10.231.N.1/30 ═ 10.231.N.2/30 ── ms-auth-ID ── 10.231.N.9/30 ═ 10.231.N.10/30 ── ms-csp-ID
//   root ── 10.231.N.5/30 ═ 10.231.N.6/30 ──────────────────────────────── ms-csp-ID (PostgreSQL only)
//
// Needs root and iproute2's `ip`; netnsUnavailable() says why not otherwise.
import { spawn, spawnSync } from "node:child_process";
import { randomInt } from "node:crypto";
import type { ServiceOptions } from "./services";

export type NetnsTopology = {
  id: string;
  auth: { ns: string; toRoot: string; toCsp: string; link: { toRoot: string; toCsp: string } };
  csp: { ns: string; toRoot: string; toAuth: string; link: { toRoot: string; toAuth: string } };
  /** The root namespace's ends of its links to each namespace. */
  root: { toAuth: string; toCsp: string };
};

const PREFIX = "10.231";

function ip(args: string[], allowFail = false): string {
  const r = spawnSync("ip", args, { encoding: "utf8" });
  if (r.status !== 0 && !allowFail) throw new Error(`ip ${args.join(" ")}: ${(r.stderr || r.error?.message || `exit ${r.status}`).trim()}`);
  return r.stdout ?? "";
}

/** Why namespaces cannot be made here (not root, no `ip`), or null when they can. */
export function netnsUnavailable(): string | null {
  if (process.platform !== "linux") return "network namespaces need Linux";
  if (process.getuid?.() !== 0) return "network namespaces need root (ip netns add)";
  const r = spawnSync("ip", ["netns", "list"], { encoding: "utf8" });
  if (r.error || r.status !== 0) return `iproute2's \`ip netns\` is not usable here (${(r.error?.message ?? r.stderr).trim()})`;
  return null;
}

/** The addresses of a run whose links use 10.231.<octet>.0/28. */
export function topology(id: string, octet: number): NetnsTopology {
  const a = (n: number) => `${PREFIX}.${octet}.${n}`;
  return {
    id,
    auth: { ns: `ms-auth-${id}`, toRoot: a(2), toCsp: a(9), link: { toRoot: `ms${id}ar`, toCsp: `ms${id}ac` } },
    csp: { ns: `ms-csp-${id}`, toRoot: a(6), toAuth: a(10), link: { toRoot: `ms${id}cr`, toAuth: `ms${id}ca` } },
    root: { toAuth: a(1), toCsp: a(5) },
  };
}

/** A /24 under 10.231 that no interface of the root namespace uses yet (another run's links). */
export function freeOctet(): number {
  const used = new Set([...ip(["-4", "-o", "addr", "show"], true).matchAll(/inet 10\.231\.(\d+)\./g)].map((m) => Number(m[1])));
  const start = randomInt(250);
  for (let i = 0; i < 250; i++) {
    const octet = (start + i) % 250;
    if (!used.has(octet)) return octet;
  }
  throw new Error("no free 10.231.N.0/24 for the network namespaces");
}

/** A short id for this run's namespaces and links (interface names have at most 15 characters). */
export const runId = (pid = process.pid) =>
  `${pid.toString(36)}${randomInt(36 * 36)
    .toString(36)
    .padStart(2, "0")}`;

/** Gives an interface its address and brings it up, in namespace `ns` (null: the root namespace). */
function up(ns: string | null, dev: string, address: string) {
  const n = ns ? ["-n", ns] : [];
  ip([...n, "addr", "add", `${address}/30`, "dev", dev]);
  ip([...n, "link", "set", dev, "up"]);
}

/** Creates both namespaces and their three links. On failure, removes what it made and throws. */
export function createTopology(t: NetnsTopology): void {
  try {
    for (const ns of [t.auth.ns, t.csp.ns]) {
      ip(["netns", "add", ns]);
      ip(["-n", ns, "link", "set", "lo", "up"]);
    }
    // root <-> each host: the root end stays here, the other end moves into the namespace
    ip(["link", "add", `ms${t.id}ra`, "type", "veth", "peer", "name", t.auth.link.toRoot, "netns", t.auth.ns]);
    up(null, `ms${t.id}ra`, t.root.toAuth);
    up(t.auth.ns, t.auth.link.toRoot, t.auth.toRoot);
    ip(["link", "add", `ms${t.id}rc`, "type", "veth", "peer", "name", t.csp.link.toRoot, "netns", t.csp.ns]);
    up(null, `ms${t.id}rc`, t.root.toCsp);
    up(t.csp.ns, t.csp.link.toRoot, t.csp.toRoot);
    // the link between the two hosts: made in the authority's namespace, one end moved to the CSP's
    ip(["-n", t.auth.ns, "link", "add", t.auth.link.toCsp, "type", "veth", "peer", "name", t.csp.link.toAuth, "netns", t.csp.ns]);
    up(t.auth.ns, t.auth.link.toCsp, t.auth.toCsp);
    up(t.csp.ns, t.csp.link.toAuth, t.csp.toAuth);
  } catch (error) {
    destroyTopology(t);
    throw error;
  }
}

/**
 * Removes both namespaces (their links go with them; a veth pair dies with either end).
 * Processes still running inside keep a namespace alive without its name: stop them first.
 */
export function destroyTopology(t: { id: string; auth: { ns: string }; csp: { ns: string } }): void {
  for (const ns of [t.auth.ns, t.csp.ns]) ip(["netns", "del", ns], true);
  for (const link of [`ms${t.id}ra`, `ms${t.id}rc`]) ip(["link", "del", link], true);
}

/** The command line that runs `argv` inside namespace `ns` (ip netns exec execs it: signals reach it directly). */
export const inNetns = (ns: string, argv: string[]): [string, string[]] => ["ip", ["netns", "exec", ns, ...argv]];

/** What scripts/netns-service.ts reads on stdin: the services to run in its namespace and where they listen. */
export type NetnsServiceConfig = Pick<ServiceOptions, "envs" | "aas" | "port" | "cspPort" | "host" | "cspHost"> & {
  /**
   * A TCP forward on this host (what a deployment's TLS proxy does): connections to `listen`:`port`
   * go to `to`:`port`. The authority's host uses one so that the CSP's host reaches the key holder
   * over the link between them while the portal listens on its link to the browser.
   */
  forward?: { listen: string; to: string; port: number };
};
/** The line it prints once they listen, followed by their pids as JSON. */
export const READY = "[netns-service] ready ";

/** Bytes received and sent on an interface of a namespace. */
export function linkBytes(ns: string, link: string): { rx: number; tx: number } {
  const [info] = JSON.parse(ip(["-n", ns, "-j", "-s", "link", "show", "dev", link])) as { stats64: { rx: { bytes: number }; tx: { bytes: number } } }[];
  return { rx: info.stats64.rx.bytes, tx: info.stats64.tx.bytes };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
};

/**
 * Removes the namespaces of runs whose test runner is gone (killed before it could clean up):
 * a run id starts with its runner's pid (runId), so a namespace is stale when that pid is dead.
 */
export function sweepStaleTopologies(): string[] {
  const ids = new Set(
    [...ip(["netns", "list"], true).matchAll(/^ms-(?:auth|csp)-([0-9a-z]{3,})\b/gm)].map((m) => m[1]).filter((id) => !alive(parseInt(id.slice(0, -2), 36))),
  );
  for (const id of ids) destroyTopology({ id, auth: { ns: `ms-auth-${id}` }, csp: { ns: `ms-csp-${id}` } });
  return [...ids];
}

/**
 * Starts a detached watchdog (its own session, so a kill of the launcher's process group does
 * not reach it) that removes the namespaces and `paths` once process `pid` is gone, however
 * it ended (Playwright SIGKILLs a web server that does not start in time). Idempotent with the
 * launcher's own orderly cleanup. A PostgreSQL running from one of `paths` is stopped first.
 */
export function cleanUpAfter(pid: number, t: NetnsTopology, paths: string[] = []): void {
  const script = `
    const { spawnSync } = require("node:child_process");
    const { readFileSync, rmSync } = require("node:fs");
    const [pid, id, auth, csp, ...paths] = process.argv.slice(1);
    const alive = (p) => { try { process.kill(Number(p), 0); return true; } catch (e) { return e.code === "EPERM"; } };
    const postmaster = (dir) => { try { return parseInt(readFileSync(dir + "/postmaster.pid", "utf8"), 10); } catch { return 0; } };
    const timer = setInterval(async () => {
      if (alive(pid)) return;
      clearInterval(timer);
      for (const ns of [auth, csp]) spawnSync("ip", ["netns", "del", ns]);
      for (const link of ["ms" + id + "ra", "ms" + id + "rc"]) spawnSync("ip", ["link", "del", link]);
      for (const p of paths) {
        const pg = postmaster(p);
        if (pg && alive(pg)) {
          process.kill(pg, "SIGINT");
          for (let i = 0; i < 50 && alive(pg); i++) await new Promise((r) => setTimeout(r, 100));
        }
        rmSync(p, { recursive: true, force: true });
      }
    }, 500);`;
  spawn(process.execPath, ["-e", script, String(pid), t.id, t.auth.ns, t.csp.ns, ...paths], { detached: true, stdio: "ignore" }).unref();
}
