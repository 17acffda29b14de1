import "server-only";
import { createHash } from "node:crypto";
import type { SessionUser } from "@/lib/auth/session";
import { db } from "@/lib/db/client";
import { appendAudit } from "@/lib/ledger/append";
import { checkDeciders } from "./uploads";

/** The hospital's decision default, its approved staff (who may be named to decide) and its terms of use. */
export async function orgSettings(user: SessionUser) {
  const [org, staff] = await Promise.all([
    db().organisation.findUniqueOrThrow({
      where: { id: user.organisation.id },
      select: { decisionMode: true, approverId: true, reviewerId: true, terms: true },
    }),
    db().user.findMany({
      where: { organisationId: user.organisation.id, role: "HOSPITAL_STAFF", status: "APPROVED" },
      orderBy: { name: "asc" },
      select: { id: true, name: true },
    }),
  ]);
  return { decisionMode: org.decisionMode as "automatic" | "hospital", approverId: org.approverId, reviewerId: org.reviewerId, terms: org.terms, staff };
}
export type OrgSettings = Awaited<ReturnType<typeof orgSettings>>;

/** Any approved staff member of the hospital sets its default and terms; audited with what changed. */
export async function updateOrgSettings(
  user: SessionUser,
  input: { decisionMode: "automatic" | "hospital"; approverId?: string; reviewerId?: string; terms: string },
) {
  const deciders = await checkDeciders(user, input);
  return db().$transaction(async (tx) => {
    const data = { decisionMode: deciders.decisionMode, approverId: deciders.approverId ?? null, reviewerId: deciders.reviewerId ?? null, terms: input.terms };
    await tx.organisation.update({ where: { id: user.organisation.id }, data });
    await appendAudit(tx, {
      actorId: user.id,
      action: "ORG_SETTINGS_CHANGED",
      subjectType: "organisation",
      subjectId: user.organisation.id,
      data: { decisionMode: data.decisionMode, approverId: data.approverId, reviewerId: data.reviewerId, termsDigest: termsDigest([data.terms]) },
    });
    return data;
  });
}

/** SHA-256 (hex) of the terms shown to a researcher, in a fixed order. */
export function termsDigest(terms: string[]) {
  return createHash("sha256").update(JSON.stringify(terms)).digest("hex");
}

/** The given organisations' names and terms of use, for the datasets a researcher browses. */
export function organisationsOf(organisationIds: string[]) {
  return db().organisation.findMany({ where: { id: { in: organisationIds } }, select: { id: true, name: true, terms: true } });
}

/** The terms of use of the given organisations, for the researcher to read and accept. */
export async function termsOf(organisationIds: string[]) {
  const orgs = await db().organisation.findMany({
    where: { id: { in: organisationIds } },
    orderBy: { name: "asc" },
    select: { id: true, name: true, terms: true },
  });
  return orgs.map((o) => ({ organisation: o.name, terms: o.terms }));
}
