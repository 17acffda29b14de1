import "server-only";
import { z } from "zod";
import { settings } from "@/lib/config/env";
import { db } from "@/lib/db/client";
import pkg from "@/package.json" with { type: "json" };
import { serviceRole } from "./role";
import { aaServices, fetchAaHealth } from "@/lib/aa/client";
import { aaLogName } from "@/lib/aa/log";
import { witnessState, type WitnessState } from "@/lib/ledger/witness";

/** What GET /api/health answers on every service: no secrets, no data. */
const healthReport = z.object({
  service: z.enum(["authority", "csp"]),
  version: z.string(),
  database: z.enum(["ok", "unreachable"]),
  at: z.string(),
});
export type HealthReport = z.infer<typeof healthReport>;

/**
 * How long the portal waits for a party (or its own database) before calling it unreachable. A
 * CSP's first answer after a start (route and database pool still cold) takes seconds on a busy
 * host; the panel streams in after the rest of /admin, so waiting a little longer costs nothing.
 */
const TIMEOUT_MS = 5_000;

/** This process's own health: its role, its version, whether its database answers. */
export async function ownHealth(): Promise<HealthReport> {
  const database = await Promise.race([
    db().$queryRaw`SELECT 1`.then(() => "ok" as const),
    new Promise<"unreachable">((resolve) => setTimeout(() => resolve("unreachable"), TIMEOUT_MS).unref()),
  ]).catch(() => "unreachable" as const);
  return { service: serviceRole(), version: pkg.version, database, at: new Date().toISOString() };
}

export type ServiceStatus = "up" | "database-unreachable" | "unreachable";

export type ServiceHealth = {
  /** "aa:HA1" for an attribute authority's service. */
  party: "authority" | "csp" | `aa:${string}`;
  name: string;
  status: ServiceStatus;
  /** One plain sentence for the admin; never an error's text or a stack. */
  message: string;
  version: string | null;
  checkedAt: string;
  /** An attribute authority's log as the portal last witnessed it (lib/aa/witness.ts); null: not yet. */
  log?: WitnessState | null;
};

const CSP = "The storage service (CSP)";

async function authorityHealth(): Promise<ServiceHealth> {
  const own = await ownHealth();
  const up = own.database === "ok";
  return {
    party: "authority",
    name: "Portal (authority)",
    status: up ? "up" : "database-unreachable",
    message: up ? "Serving this page; its database answers." : "Serving this page, but its database does not answer.",
    version: own.version,
    checkedAt: own.at,
  };
}

/** Asks the CSP's own /api/health over the network, as the portal's route handlers reach it. */
export async function cspHealth(): Promise<ServiceHealth> {
  const base = { party: "csp" as const, name: "Storage service (CSP)", version: null };
  const checkedAt = () => new Date().toISOString();
  const url = settings().MEDSHARE_CSP_URL?.replace(/\/$/, "");
  if (!url) return { ...base, status: "unreachable", message: `${CSP} is not configured (MEDSHARE_CSP_URL is not set).`, checkedAt: checkedAt() };
  let report: HealthReport | undefined;
  let slow = false;
  try {
    const response = await fetch(`${url}/api/health`, { cache: "no-store", signal: AbortSignal.timeout(TIMEOUT_MS) });
    // 503 still carries the report: the service runs, its database does not answer.
    report = healthReport.safeParse(await response.json()).data;
  } catch (e) {
    slow = e instanceof DOMException && e.name === "TimeoutError";
  }
  if (!report) {
    const message = slow ? `${CSP} is unreachable: it did not answer within ${TIMEOUT_MS / 1000} seconds.` : `${CSP} is unreachable.`;
    return { ...base, status: "unreachable", message, checkedAt: checkedAt() };
  }
  if (report.service !== "csp")
    return { ...base, status: "unreachable", message: `${CSP} is unreachable: the service at MEDSHARE_CSP_URL is not the CSP.`, checkedAt: checkedAt() };
  const up = report.database === "ok";
  return {
    ...base,
    status: up ? "up" : "database-unreachable",
    message: up ? "Answers the portal; its database answers." : `${CSP} runs, but its database does not answer.`,
    version: report.version,
    checkedAt: checkedAt(),
  };
}

/**
 * The parties this portal can see, checked now. The clustering worker has no endpoint of its
 * own (it only takes jobs from the CSP's queue), so it is not listed: a running job shows its
 * progress on /admin/clustering. Never rejects.
 */
export async function checkServices(): Promise<ServiceHealth[]> {
  return Promise.all([authorityHealth(), cspHealth(), ...[...aaServices().keys()].map(aaHealth)]);
}

/** An attribute authority's service (lib/aa): its own /api/aa/health, over the network. */
async function aaHealth(name: string): Promise<ServiceHealth> {
  const log = await witnessState(db(), "authority", aaLogName(name)).catch(() => null);
  const base = { party: `aa:${name}` as const, name: `Attribute authority ${name}`, log };
  try {
    const report = await fetchAaHealth(name, TIMEOUT_MS);
    if (report.name !== name)
      return {
        ...base,
        status: "unreachable",
        message: `The service configured as ${name} says it is ${report.name}.`,
        version: null,
        checkedAt: new Date().toISOString(),
      };
    const up = report.database === "ok";
    return {
      ...base,
      status: up ? "up" : "database-unreachable",
      message: up
        ? `Issues keys for ${report.namespaces.join(", ") || "no namespace yet"}; its database answers.`
        : `The attribute authority ${name} runs, but its database does not answer.`,
      version: report.version,
      checkedAt: new Date().toISOString(),
    };
  } catch {
    return {
      ...base,
      status: "unreachable",
      message: `The attribute authority ${name} is unreachable. Keys it already issued keep working; new keys from it wait.`,
      version: null,
      checkedAt: new Date().toISOString(),
    };
  }
}
