import "server-only";
import { formatPolicy } from "@/lib/abe";
import type { SessionUser } from "@/lib/auth/session";

/** Who acts on a hospital's templates: the person and their organisation. */
type Owner = Pick<SessionUser, "id"> & { organisation: Pick<SessionUser["organisation"], "id"> };
import { db } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import { appendAudit } from "@/lib/ledger/append";
import { checkPolicy } from "./uploads";

/** The hospital's named policies, by name, for the upload wizard. */
export function listPolicyTemplates(user: Owner) {
  return db().policyTemplate.findMany({
    where: { organisationId: user.organisation.id },
    orderBy: { name: "asc" },
    select: { id: true, name: true, policy: true },
  });
}

/** Saves (or replaces) a named policy for the hospital; the policy must parse and name known attributes. */
export async function savePolicyTemplate(user: Owner, input: { name: string; policy: string }) {
  const { node } = await checkPolicy(input.policy);
  const policy = formatPolicy(node);
  return db().$transaction(async (tx) => {
    const t = await tx.policyTemplate.upsert({
      where: { organisationId_name: { organisationId: user.organisation.id, name: input.name } },
      create: { organisationId: user.organisation.id, name: input.name, policy, createdById: user.id },
      update: { policy },
      select: { id: true, name: true, policy: true },
    });
    await appendAudit(tx, {
      actorId: user.id,
      action: "POLICY_TEMPLATE_SAVED",
      subjectType: "policy-template",
      subjectId: t.id,
      data: { name: t.name, policy },
    });
    return t;
  });
}

/** Deletes one of the hospital's templates, audited in the same transaction. */
export function deletePolicyTemplate(user: Owner, id: string) {
  return db().$transaction(async (tx) => {
    const template = await tx.policyTemplate.findFirst({ where: { id, organisationId: user.organisation.id }, select: { name: true, policy: true } });
    const gone = await tx.policyTemplate.deleteMany({ where: { id, organisationId: user.organisation.id } });
    if (!template || gone.count === 0) throw new AppError("NOT_FOUND", "No such template.");
    await appendAudit(tx, {
      actorId: user.id,
      action: "POLICY_TEMPLATE_DELETED",
      subjectType: "policy-template",
      subjectId: id,
      data: { name: template.name, policy: template.policy },
    });
    return { deleted: true };
  });
}
