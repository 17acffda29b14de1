import "server-only";
import { z } from "zod";
import { db } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import { errorResponse } from "@/lib/http/error-response";
import { serviceRole } from "@/lib/parties/role";
import { signedHead } from "./log-keys";
import { consistency, inclusionProof, logSize, treeRoot, type LogName } from "./tree";

/**
 * The public, read-only face of this party's log at /.well-known/medshare/log/*: its signed
 * head, consistency proofs between two sizes, inclusion proofs of a leaf. Hashes only: nothing
 * here names a patient, a person or an upload.
 */
const ownLog = (): LogName => serviceRole();
const size = z.coerce.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const headers = { "Cache-Control": "no-store", "Access-Control-Allow-Origin": "*" };

function query<T extends z.ZodRawShape>(req: Request, shape: T): z.infer<z.ZodObject<T>> {
  const params = Object.fromEntries(new URL(req.url).searchParams);
  const parsed = z.object(shape).safeParse(params);
  if (!parsed.success) throw new AppError("VALIDATION", parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
  return parsed.data;
}

async function answer(work: () => Promise<unknown>) {
  try {
    return Response.json(await work(), { headers });
  } catch (error) {
    return errorResponse(error);
  }
}

export const getSignedHead = () => answer(() => signedHead(db(), ownLog()));

export const getConsistency = (req: Request) =>
  answer(async () => {
    const { first, second } = query(req, { first: size, second: size });
    const current = await logSize(db(), ownLog());
    if (first > second || second > current) throw new AppError("VALIDATION", `Sizes must satisfy first <= second <= ${current} (the log's size).`);
    return { first, second, proof: await consistency(db(), ownLog(), first, second) };
  });

export const getInclusion = (req: Request) =>
  answer(async () => {
    const { index, size: treeSize } = query(req, { index: size, size });
    const current = await logSize(db(), ownLog());
    if (index >= treeSize || treeSize > current) throw new AppError("VALIDATION", `Need index < size <= ${current} (the log's size).`);
    return { index, size: treeSize, root: await treeRoot(db(), ownLog(), treeSize), proof: await inclusionProof(db(), ownLog(), index, treeSize) };
  });
