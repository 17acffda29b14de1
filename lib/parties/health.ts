import "server-only";
import { z } from "zod";
import { settings } from "@/lib/config/env";
import { db } from "@/lib/db/client";
import pkg from "@/package.json" with { type: "json" };
import { serviceRole } from "./role";

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
  party: "authority" | "csp";
  name: string;
  status: ServiceStatus;
  /** One plain sentence for the admin; never an error's text or a stack. */
  message: string;
  version: string | null;
  checkedAt: string;
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
  return Promise.all([authorityHealth(), cspHealth()]);
}
