/**
 * The request protocol, in the researcher's browser: sign the authority's request statement
 * with an attribute-based signature (ABS) under the policy of the data asked for; once the
 * authority has verified it and the cloud has done its part, fetch the partial decryptions and
 * ciphertexts, check the answer's shape, and finish decryption in a worker (decrypt.worker.ts:
 * K = A / B^z, the envelope and Merkle checks, the hospital's signature, the transparency log).
 * The page (request-flow.tsx) shows the steps and reports outcomes; nothing here touches it.
 */
import { fetchPublicKeys } from "@/components/keys/use-key-store";
import { AbeError, absSign, decodeAttributeVk, encodeAbsSignature, parsePolicy, policyAttributes, type AttributeVk } from "@/lib/abe";
import { keepHead, keptHead } from "@/lib/browser/kept-log-head";
import { callWorker } from "@/lib/browser/worker-call";
import { userKeys } from "@/lib/keystore/operations";
import { b64, type KeystoreContents } from "@/lib/keystore/sealed";
import { requestSignatureMessage, requestStatement } from "@/lib/requests/protocol";
import { requestDataSchema } from "@/lib/validation/request";
import type { DecryptJob, DecryptMessage, DecryptedUpload } from "./decrypt.worker";

/** Why a step cannot go on, for the person; `link`: the fix is on /keys. */
export type Failure = { error: string; link?: boolean };

/** The authority's request as created (the statement's fields, the token and the policy to sign). */
export type CreatedRequest = { requestId: string; targetType: string; targetId: string; nonce: string; issuedAt: string; token: string; absPolicy: string };

/** The datasets a request covers, as the browser expects them back. */
export type Expected = Array<{ id: string; label: string; recordCount: number }>;

/** Signs the request statement with the keys of the current versions of the policy's attributes. */
export async function signRequest(
  contents: KeystoreContents,
  req: CreatedRequest,
): Promise<{ signature: string; versions: Record<string, number>; signedAt: string } | Failure> {
  const publicKeys = await fetchPublicKeys();
  const names = policyAttributes(parsePolicy(req.absPolicy));
  const versions: Record<string, number> = {};
  const vks = new Map<string, AttributeVk>();
  for (const a of names) {
    const cur = publicKeys.find((k) => k.attribute === a && k.current);
    if (!cur) return { error: `No public key is published for ${a}.` };
    versions[a] = cur.version;
    vks.set(a, decodeAttributeVk(b64.decode(cur.vk)));
  }
  const keys = userKeys(contents);
  const signedAt = new Date().toISOString();
  const statement = requestStatement(req, signedAt);
  try {
    // only keys of the current versions can satisfy the authority
    const current = new Map([...keys.keys].filter(([a]) => !versions[a] || contents.keys[`${a}@${versions[a]}`]));
    const signature = encodeAbsSignature(
      absSign({ message: requestSignatureMessage(statement), policy: req.absPolicy, gid: contents.gid, keys: current, vks }),
    );
    return { signature: b64.encode(signature), versions, signedAt };
  } catch (error) {
    if (error instanceof AbeError && error.code === "POLICY_UNSATISFIED") {
      const missing = (error as AbeError & { detail?: { missing?: string[] } }).detail?.missing ?? [];
      return { error: `You cannot sign this request: you lack ${missing.join(", ") || "the attributes its policy needs"} (policy: ${req.absPolicy}).` };
    }
    throw error;
  }
}

/**
 * Downloads what the cloud serves for the request and finishes decryption in a worker.
 * `onProgress(label, fraction)` while decrypting. Uploads that fail a check come back as
 * failed, never as data.
 */
export async function fetchAndDecrypt(
  contents: KeystoreContents,
  requestId: string,
  token: string,
  expected: Expected,
  onProgress: (label: string, fraction: number) => void,
): Promise<{ uploads: DecryptedUpload[] } | Failure> {
  const publicKeys = await fetchPublicKeys();
  const kept = keptHead();
  const res = await fetch(`/api/requests/${requestId}/data${kept ? `?since=${kept.size}` : ""}`, { headers: { "x-request-token": token } });
  const body = await res.json();
  if (!res.ok) return { error: body?.error?.message ?? "The cloud refused to serve the data." };
  // The answer's shape is checked before anything of it reaches the decryption worker.
  const answer = requestDataSchema.safeParse(body);
  if (!answer.success) return { error: "The cloud's answer is malformed; nothing of it was decrypted or shown." };
  if (!contents.transform) return { error: "This browser has no transform secret (z); create your transform key on My keys.", link: true };

  const job: DecryptJob = {
    uploads: answer.data.uploads,
    expected,
    transformSecret: contents.transform.secret,
    publicKeys,
    log: { publicKey: answer.data.logPublicKey, kept },
  };
  const decrypted = await callWorker<DecryptJob, DecryptMessage>(
    () => new Worker(new URL("./decrypt.worker.ts", import.meta.url), { type: "module" }),
    job,
    "The decryption worker failed.",
    { onProgress: (m) => onProgress(m.label, m.done / Math.max(1, m.total)) },
  );
  // The CSP's log head this browser now vouches for: the next check must extend it.
  if (decrypted.head) keepHead(decrypted.head);
  return { uploads: decrypted.uploads };
}
