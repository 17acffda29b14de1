import "server-only";
import { createHash } from "node:crypto";
import { db, type Tx } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import { Prisma } from "@/lib/generated/prisma/client";
import { appendAudit } from "@/lib/ledger/append";
import { hashPassword } from "@/lib/auth/password";
import { grantAttributes, keyTransaction } from "@/lib/authority/keys";
import { roleOrgKind, type registrationSchema } from "@/lib/validation/registration";
import type { z } from "zod";

export function hashSetupToken(token: string): string {
  return createHash("sha256").update(`medshare-setup:${token}`).digest("hex");
}

/** How long a setup link works after `npm start` printed it (the deadline is kept in the database). */
export const SETUP_TOKEN_LIFETIME_MINUTES = 60;

/**
 * Marks every unused setup token used. Called whenever an authority admin comes into being
 * (setup link, admin:create, seed:demo, approval of an admin's registration): a link printed
 * in an old log must not mint a second admin.
 */
export async function consumeSetupTokens(tx: Tx): Promise<void> {
  await tx.setupToken.updateMany({ where: { usedAt: null }, data: { usedAt: new Date() } });
}

/** Spends a setup token, or says why it cannot be used. Runs inside the registration's transaction. */
async function spendSetupToken(tx: Tx, token: string): Promise<void> {
  const row = await tx.setupToken.findUnique({ where: { tokenHash: hashSetupToken(token) }, select: { id: true, usedAt: true, expiresAt: true } });
  if (!row || row.usedAt) throw new AppError("VALIDATION", "This setup link is invalid or was already used.");
  if (row.expiresAt <= new Date()) throw new AppError("VALIDATION", "This setup link has expired. Run `npm run admin:create` on the server instead.");
  const admins = await tx.user.count({ where: { role: "AUTHORITY_ADMIN", status: "APPROVED" } });
  if (admins > 0) throw new AppError("VALIDATION", "An authority admin already exists, so this setup link no longer works.");
  await consumeSetupTokens(tx);
}

/** What a registration that hits an existing e-mail or GID looks like from outside: like any other. */
const REGISTRATION_RECEIVED = { id: null, status: "PENDING" as const };

/**
 * Records a registration: the person (PENDING) and, if new, their organisation. A valid
 * one-time setup token makes the first authority admin APPROVED at once. An e-mail or GID that
 * is already registered gets the same answer as a new one (nothing is created; the attempt is
 * audited), so the form cannot be used to find out who has an account.
 */
export async function register(input: z.output<typeof registrationSchema>) {
  const passwordHash = await hashPassword(input.password);
  const wantedKind = roleOrgKind[input.role];
  try {
    return await db().$transaction(async (tx) => {
      let organisationId = input.organisationId;
      if (organisationId) {
        const org = await tx.organisation.findUnique({ where: { id: organisationId } });
        if (!org) throw new AppError("VALIDATION", "That organisation no longer exists.", { organisationId: ["Choose another organisation."] });
        if (org.kind !== wantedKind)
          throw new AppError("VALIDATION", `${org.name} is not a ${wantedKind.toLowerCase()}.`, {
            organisationId: [`A ${input.role.replace("_", " ").toLowerCase()} must belong to a ${wantedKind.toLowerCase()}.`],
          });
      } else {
        const org = await tx.organisation.create({ data: { name: input.newOrganisationName!, kind: wantedKind } });
        organisationId = org.id;
      }
      let status: "PENDING" | "APPROVED" = "PENDING";
      if (input.setupToken) {
        if (input.role !== "AUTHORITY_ADMIN") throw new AppError("VALIDATION", "A setup link can only create an authority admin.");
        await spendSetupToken(tx, input.setupToken);
        status = "APPROVED";
      }
      const user = await tx.user.create({
        data: {
          email: input.email,
          name: input.name,
          gid: input.gid,
          passwordHash,
          role: input.role,
          status,
          organisationId,
          wrapPublicKey: input.wrapPublicKey ? new Uint8Array(Buffer.from(input.wrapPublicKey, "base64")) : null,
        },
        select: { id: true },
      });
      await appendAudit(tx, {
        actorId: user.id,
        action: status === "APPROVED" ? "ADMIN_CREATED" : "REGISTRATION_SUBMITTED",
        subjectType: "user",
        subjectId: user.id,
        data: { role: input.role, organisationId, viaSetupLink: Boolean(input.setupToken) },
      });
      return { id: user.id as string | null, status };
    });
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002") {
      const target = String((error.meta as { target?: unknown; modelName?: string })?.target ?? error.message);
      if (target.includes("email") || target.includes("gid")) return auditDuplicate(target.includes("email") ? "email" : "gid");
      if (target.includes("name"))
        throw new AppError("CONFLICT", "An organisation with this name exists: choose it from the list.", { newOrganisationName: ["Already exists."] });
      throw new AppError("CONFLICT");
    }
    throw error;
  }
}

/** The person who really holds that e-mail or GID can see the attempt in the audit log; the applicant sees nothing. */
async function auditDuplicate(field: "email" | "gid") {
  await db().$transaction((tx) => appendAudit(tx, { actorId: null, action: "REGISTRATION_DUPLICATE", subjectType: "user", data: { field } }));
  return REGISTRATION_RECEIVED;
}

/** Approves or rejects a PENDING registration; the decision and its audit entry commit together. */
export async function decideRegistration(
  adminId: string,
  decision: { userId: string; decision: "APPROVE"; attributeIds?: string[] } | { userId: string; decision: "REJECT"; reason: string },
) {
  return keyTransaction(async (tx, batch) => {
    const approve = decision.decision === "APPROVE";
    const changed = await tx.user.updateMany({
      where: { id: decision.userId, status: "PENDING" },
      data: {
        status: approve ? "APPROVED" : "REJECTED",
        decisionReason: approve ? null : decision.reason,
        decidedAt: new Date(),
        decidedById: adminId,
      },
    });
    if (changed.count !== 1) throw new AppError("INVALID_STATE", "This registration was already decided or no longer exists.");
    if (approve && (await tx.user.count({ where: { id: decision.userId, role: "AUTHORITY_ADMIN" } }))) await consumeSetupTokens(tx);
    batch.push({
      actorId: adminId,
      action: approve ? "REGISTRATION_APPROVED" : "REGISTRATION_REJECTED",
      subjectType: "user",
      subjectId: decision.userId,
      data: approve ? {} : { reason: decision.reason },
    });
    // Attributes chosen with the approval are granted, and their keys issued, in the same transaction.
    if (decision.decision === "APPROVE" && decision.attributeIds?.length) await grantAttributes(tx, batch, adminId, decision.userId, decision.attributeIds);
    return { userId: decision.userId, status: approve ? "APPROVED" : "REJECTED" };
  });
}

/**
 * A rejected applicant, signed in as themselves, asks again: the same account goes back to
 * PENDING (the e-mail and GID stay theirs) and the authority sees it among the registrations.
 */
export async function resubmitRegistration(userId: string) {
  return db().$transaction(async (tx) => {
    const before = await tx.user.findUnique({ where: { id: userId }, select: { status: true, decisionReason: true } });
    if (before?.status !== "REJECTED") throw new AppError("INVALID_STATE", "Only a rejected registration can be sent again.");
    const changed = await tx.user.updateMany({
      where: { id: userId, status: "REJECTED" },
      data: { status: "PENDING", decisionReason: null, decidedAt: null, decidedById: null },
    });
    if (changed.count !== 1) throw new AppError("INVALID_STATE", "Only a rejected registration can be sent again.");
    await appendAudit(tx, {
      actorId: userId,
      action: "REGISTRATION_RESUBMITTED",
      subjectType: "user",
      subjectId: userId,
      data: { previousReason: before.decisionReason },
    });
    return { status: "PENDING" as const };
  });
}

export function listPendingRegistrations() {
  return db().user.findMany({
    where: { status: "PENDING" },
    orderBy: { createdAt: "asc" },
    select: { id: true, name: true, email: true, gid: true, role: true, createdAt: true, organisation: { select: { name: true, kind: true } } },
  });
}

export function listOrganisations() {
  return db().organisation.findMany({ orderBy: { name: "asc" }, select: { id: true, name: true, kind: true } });
}

/**
 * Creates a one-time setup link token (valid for an hour) if no authority admin exists yet.
 * Returns the raw token to print, or null once an admin exists: then nothing is printed.
 */
export async function issueSetupTokenIfNoAdmin(randomToken: string): Promise<string | null> {
  const admins = await db().user.count({ where: { role: "AUTHORITY_ADMIN", status: "APPROVED" } });
  if (admins > 0) return null;
  const expiresAt = new Date(Date.now() + SETUP_TOKEN_LIFETIME_MINUTES * 60_000);
  await db().setupToken.create({ data: { tokenHash: hashSetupToken(randomToken), expiresAt } });
  return randomToken;
}
