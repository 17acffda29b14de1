import "server-only";
import { parsePolicy, PolicyError, policyAttributes } from "@/lib/abe";
import type { SessionUser } from "@/lib/auth/session";
import { currentVersions, encodedVksFor } from "@/lib/authority/catalogue";
import { cspCall } from "@/lib/parties/csp-client";
import { db } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import type { startUploadSchema } from "@/lib/validation/upload";
import type { z } from "zod";

/**
 * Checks a policy against the catalogue: parses it (errors carry the position) and names any
 * attribute the authority does not know. Returns the current key version of each attribute.
 */
export async function checkPolicy(text: string) {
  let node;
  try {
    node = parsePolicy(text);
  } catch (error) {
    if (error instanceof PolicyError) throw new AppError("VALIDATION", error.message, { policy: [error.message] });
    throw error;
  }
  const { versions, unknown } = await currentVersions(policyAttributes(node));
  if (unknown.length)
    throw new AppError("VALIDATION", `Unknown attribute${unknown.length > 1 ? "s" : ""}: ${unknown.join(", ")}.`, {
      policy: [`Not in the catalogue: ${unknown.join(", ")}`],
    });
  return { node, versions };
}

/**
 * Portal side of starting an upload: the uploader encrypted under the current key versions
 * and signed with attributes they hold; the CSP then checks the envelope and the signature.
 */
export async function startUpload(
  user: SessionUser,
  input: Omit<z.output<typeof startUploadSchema>, "decisionMode"> & { decisionMode?: "automatic" | "hospital" },
) {
  const held = await db().issuedKey.findMany({ where: { userId: user.id, revokedAt: null }, select: { version: true, attribute: { select: { name: true } } } });
  const heldIds = new Set(held.map((k) => `${k.attribute.name}@${k.version}`));
  const notHeld = Object.entries(input.signatureVersions).filter(([a, v]) => !heldIds.has(`${a}@${v}`));
  if (notHeld.length) throw new AppError("FORBIDDEN", `You do not hold ${notHeld.map(([a]) => a).join(", ")} to sign with.`);
  const stale = [];
  const { versions, unknown } = await currentVersions(Object.keys(input.keyVersions));
  if (unknown.length) throw new AppError("VALIDATION", `Unknown attributes: ${unknown.join(", ")}.`);
  for (const [a, v] of Object.entries(input.keyVersions)) if (versions[a] !== v) stale.push(a);
  if (stale.length) throw new AppError("CONFLICT", `The keys of ${stale.join(", ")} changed while you were encrypting. Encrypt again.`);
  const decision = await checkDeciders(user, { ...input, decisionMode: input.decisionMode ?? "automatic" });
  // The CSP checks the envelope and the signature against the catalogue's public keys the authority vouches for.
  const [policy, signature] = await Promise.all([encodedVksFor(input.keyVersions), encodedVksFor(input.signatureVersions)]);
  return cspCall(
    "uploads.begin",
    {
      ...input,
      ...decision,
      signerGid: user.gid,
      envelope: Buffer.from(input.envelope, "base64"),
      signature: Buffer.from(input.signature, "base64"),
      vks: { policy, signature },
    },
    { org: user.organisation.id, sub: user.id },
  );
}

/**
 * Owner decisions (issue #15): a "hospital" upload names its approver and optional second
 * reviewer, approved staff of the uploading hospital, two different people.
 */
export async function checkDeciders(user: SessionUser, input: { decisionMode: "automatic" | "hospital"; approverId?: string; reviewerId?: string }) {
  if (input.decisionMode === "automatic") return { decisionMode: "automatic" as const, approverId: undefined, reviewerId: undefined };
  if (!input.approverId)
    throw new AppError("VALIDATION", "Name the approver who decides requests for these records.", { approverId: ["Choose the approver."] });
  if (input.reviewerId && input.reviewerId === input.approverId)
    throw new AppError("VALIDATION", "The second reviewer must be another person than the approver.", {
      reviewerId: ["Choose another person than the approver."],
    });
  const ids = [input.approverId, ...(input.reviewerId ? [input.reviewerId] : [])];
  const staff = await db().user.count({ where: { id: { in: ids }, organisationId: user.organisation.id, role: "HOSPITAL_STAFF", status: "APPROVED" } });
  if (staff !== ids.length)
    throw new AppError("VALIDATION", "The approver and the reviewer must be approved staff of your hospital.", {
      approverId: ["Not approved staff of your hospital."],
    });
  return { decisionMode: "hospital" as const, approverId: input.approverId, reviewerId: input.reviewerId };
}
