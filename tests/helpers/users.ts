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
