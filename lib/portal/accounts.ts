import "server-only";
import { db } from "@/lib/db/client";
import type { OrgKind, Role } from "@/lib/generated/prisma/enums";
import { hashPassword } from "@/lib/auth/password";
import { appendAudit } from "@/lib/ledger/append";
import { consumeSetupTokens } from "./registrations";

/**
 * Creates (or finds) an organisation and an APPROVED account in it; used by `npm run
 * admin:create` and the demo seed. Returns null if the e-mail is already registered.
 */
export async function createApprovedAccount(input: {
  organisation: string;
  kind: OrgKind;
  name: string;
  email: string;
  gid: string;
  password: string;
  role: Role;
  reason: string;
}) {
  const email = input.email.trim().toLowerCase();
  if (await db().user.findUnique({ where: { email } })) return null;
  const passwordHash = await hashPassword(input.password);
  return db().$transaction(async (tx) => {
    const org = await tx.organisation.upsert({ where: { name: input.organisation }, update: {}, create: { name: input.organisation, kind: input.kind } });
    if (org.kind !== input.kind) throw new Error(`${org.name} exists but is a ${org.kind.toLowerCase()}`);
    const user = await tx.user.create({
      data: { email, name: input.name, gid: input.gid, passwordHash, role: input.role, status: "APPROVED", organisationId: org.id, decidedAt: new Date() },
      select: { id: true, email: true },
    });
    await appendAudit(tx, {
      actorId: null,
      action: input.role === "AUTHORITY_ADMIN" ? "ADMIN_CREATED" : "REGISTRATION_APPROVED",
      subjectType: "user",
      subjectId: user.id,
      data: { role: input.role, organisationId: org.id, via: input.reason },
    });
    // Once an admin exists, a setup link printed earlier must not make another one.
    if (input.role === "AUTHORITY_ADMIN") await consumeSetupTokens(tx);
    return user;
  });
}
