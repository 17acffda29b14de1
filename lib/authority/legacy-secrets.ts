import "server-only";
import { aaCall, aaServices } from "@/lib/aa/client";
import { secretAad } from "@/lib/aa/schema";
import { db } from "@/lib/db/client";
import { AppError, errorSummary } from "@/lib/errors";
import { appendAudit } from "@/lib/ledger/append";
import { unseal } from "./seal";

/**
 * Attribute master secrets from before the AA services (migration 0024) move to the AA service
 * that runs their namespace (issue #13): the portal unseals each key version's secret under its
 * own KEK, sends it to that AA once (`aa.importVersion`, which keeps it only if it matches the
 * published key), and forgets its copy in the transaction that audits the move. An AA that is
 * down, or not configured, keeps the rest waiting for the next pass; nothing is lost either way.
 */
export type LegacyMoveReport = {
  moved: Array<{ attribute: string; version: number; service: string }>;
  /** Key versions still held by the portal, per AA service, and why. */
  waiting: Array<{ service: string; versions: number; reason: string }>;
};

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");

/** What is still to move, per AA service (for /admin/attributes). */
export async function legacySecretsWaiting(): Promise<Array<{ service: string; versions: number; configured: boolean }>> {
  const rows = await db().attributeKeyVersion.findMany({
    where: { legacySealedSecret: { not: null } },
    select: { attribute: { select: { authority: { select: { service: true } } } } },
  });
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.attribute.authority.service, (counts.get(r.attribute.authority.service) ?? 0) + 1);
  const configured = aaServices();
  return [...counts].sort(([a], [b]) => a.localeCompare(b)).map(([service, versions]) => ({ service, versions, configured: configured.has(service) }));
}

export async function moveLegacySecrets(): Promise<LegacyMoveReport> {
  const rows = await db().attributeKeyVersion.findMany({
    where: { legacySealedSecret: { not: null } },
    orderBy: [{ attribute: { name: "asc" } }, { version: "asc" }],
    select: {
      id: true,
      version: true,
      vk: true,
      retiredAt: true,
      legacySealedSecret: true,
      attribute: { select: { id: true, name: true, authority: { select: { code: true, service: true } } } },
    },
  });
  const report: LegacyMoveReport = { moved: [], waiting: [] };
  const configured = aaServices();
  const byService = new Map<string, typeof rows>();
  for (const row of rows) byService.set(row.attribute.authority.service, [...(byService.get(row.attribute.authority.service) ?? []), row]);
  for (const [service, versions] of byService) {
    if (!configured.has(service)) {
      report.waiting.push({ service, versions: versions.length, reason: `no attribute authority service named ${service} is configured` });
      continue;
    }
    let left = versions.length;
    try {
      for (const code of new Set(versions.map((v) => v.attribute.authority.code))) await aaCall(service, "aa.addNamespace", { code });
      for (const row of versions) {
        const { name } = row.attribute;
        const secret = unseal(row.legacySealedSecret!, secretAad(name, row.version));
        try {
          await aaCall(service, "aa.importVersion", {
            attribute: name,
            version: row.version,
            secret: b64(secret),
            vk: b64(row.vk),
            retired: row.retiredAt !== null,
          });
        } finally {
          secret.fill(0);
        }
        await db().$transaction(async (tx) => {
          // Another pass (another portal process) may have moved it meanwhile: audited once.
          const forgotten = await tx.attributeKeyVersion.updateMany({
            where: { id: row.id, legacySealedSecret: { not: null } },
            data: { legacySealedSecret: null },
          });
          if (forgotten.count === 0) return;
          await appendAudit(tx, {
            actorId: null,
            action: "ATTRIBUTE_SECRET_MOVED",
            subjectType: "attribute",
            subjectId: row.attribute.id,
            data: { name, version: row.version, service },
          });
        });
        report.moved.push({ attribute: name, version: row.version, service });
        left -= 1;
      }
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      report.waiting.push({ service, versions: left, reason: error.message });
    }
  }
  return report;
}

const state = globalThis as unknown as { medshareLegacyMove?: NodeJS.Timeout };

/**
 * Started with the portal (instrumentation.ts): a pass shortly after start, then every five
 * minutes while anything is waiting. Only counts and reasons reach the log, never a secret.
 */
export function startLegacySecretMove() {
  if (state.medshareLegacyMove) return;
  const pass = async () => {
    state.medshareLegacyMove = undefined;
    try {
      const report = await moveLegacySecrets();
      if (report.moved.length) console.log(`[medshare] moved ${report.moved.length} attribute key version(s) from before the AA services to their AA`);
      for (const w of report.waiting) console.log(`[medshare] ${w.versions} attribute key version(s) wait to move to ${w.service}: ${w.reason}`);
      if (report.waiting.length === 0) return;
    } catch (error) {
      console.error(`[medshare] moving attribute secrets to their AA failed (${errorSummary(error)}); trying again later`);
    }
    state.medshareLegacyMove = setTimeout(pass, 5 * 60_000);
    state.medshareLegacyMove.unref?.();
  };
  state.medshareLegacyMove = setTimeout(pass, 10_000);
  state.medshareLegacyMove.unref?.();
}
