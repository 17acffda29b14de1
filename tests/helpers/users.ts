import { randomBytes } from "node:crypto";
import { db } from "@/lib/db/client";
import type { OrgKind, Role, UserStatus } from "@/lib/generated/prisma/enums";
import { hashPassword } from "@/lib/auth/password";

const kindFor: Record<Role, OrgKind> = { HOSPITAL_STAFF: "HOSPITAL", RESEARCHER: "INSTITUTE", AUTHORITY_ADMIN: "AUTHORITY" };
let cachedHash: Promise<string> | undefined;

/** Creates a user directly in the database (no audit): test fixture only. Password: "correct horse battery". */
export async function makeUser(role: Role, status: UserStatus = "APPROVED") {
  const tag = randomBytes(4).toString("hex");
  cachedHash ??= hashPassword("correct horse battery");
  const org = await db().organisation.create({ data: { name: `${kindFor[role]} ${tag}`, kind: kindFor[role] } });
  return db().user.create({
    data: { email: `${tag}@test.example`, name: `User ${tag}`, gid: `gid-${tag}`, passwordHash: await cachedHash, role, status, organisationId: org.id },
    select: { id: true, email: true, sessionVersion: true, role: true, status: true },
  });
}

const liveSessions = new Map<string, string>();
/** A live server-side session row for a user (created once per user): what a signed-in cookie names. */
export async function liveSessionId(userId: string): Promise<string> {
  let sid = liveSessions.get(userId);
  if (!sid || !(await db().session.findUnique({ where: { id: sid } }))) {
    const { createSession } = await import("@/lib/auth/sessions");
    sid = await createSession(userId, "test");
    liveSessions.set(userId, sid);
  }
  return sid;
}
