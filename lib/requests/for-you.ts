/**
 * "For you" on /research: whether a request for an upload would open it for this person, from
 * what they actually hold — attributes granted, key versions issued to them, key versions their
 * stored transform key covers — against the upload's policy and the key versions it was
 * encrypted under. Mirrors the three checks a request meets: the authority's ABS check
 * (current-version keys), the CSP's partial decryption (the upload's versions, from the
 * transform key) and the browser's finish (z). Pure: the page computes it on the server.
 */
import { explainMissing, parsePolicy, satisfies } from "../abe";

export type Holdings = {
  /** Attributes granted to the person -> the attribute's current key version. */
  grants: Record<string, number>;
  /** Key versions issued to the person and not revoked, as "HA1.cardiology@1". */
  keys: string[];
  /** Key versions the stored transform key covers; null when none is stored. */
  transformCovers: string[] | null;
};

/** `fix`: what the person can do about it themselves, on /keys. */
export type ForYou = { ok: boolean; text: string; missing: string[]; fix?: string };

const id = (a: string, v: number) => `${a}@${v}`;

export function forYou(policy: string, uploadVersions: Record<string, number>, h: Holdings): ForYou {
  const node = parsePolicy(policy);
  const keys = new Set(h.keys);
  const granted = Object.keys(h.grants);
  const lacking = explainMissing(node, granted);
  if (lacking.length) return { ok: false, missing: lacking, text: `you lack ${lacking.join(", ")}` };

  // The request's signature is checked against current key versions only.
  const signable = granted.filter((a) => keys.has(id(a, h.grants[a])));
  if (!satisfies(node, signable)) {
    const missing = explainMissing(node, signable);
    return {
      ok: false,
      missing,
      text: `your current key for ${missing.map((a) => `${a} (v${h.grants[a]})`).join(", ")} has not reached your key store`,
      fix: "Set up your keys at /keys",
    };
  }

  // The CSP can help only with keys of the versions the upload was encrypted under.
  const readable = Object.keys(uploadVersions).filter((a) => keys.has(id(a, uploadVersions[a])));
  if (!satisfies(node, readable)) {
    const missing = explainMissing(node, readable);
    return {
      ok: false,
      missing,
      text: `encrypted under ${missing.map((a) => `${a} key version ${uploadVersions[a]}`).join(", ")}, which you do not hold (your keys are newer): the hospital can re-encrypt it`,
    };
  }

  if (!h.transformCovers) return { ok: false, missing: [], text: "you have no transform key yet", fix: "Create your transform key at /keys" };
  const covers = new Set(h.transformCovers);
  const covered = readable.filter((a) => covers.has(id(a, uploadVersions[a])));
  if (!satisfies(node, covered)) {
    // Genuinely the browser's job (only it holds z); it happens by itself when the keys are unlocked.
    const stale = explainMissing(node, covered);
    return {
      ok: true,
      missing: [],
      text: `your attributes satisfy it; your transform key gains ${stale.map((a) => `${a} v${uploadVersions[a]}`).join(", ")} when you unlock your keys`,
      fix: "Refresh your keys at /keys",
    };
  }
  return { ok: true, missing: [], text: "your attributes satisfy it" };
}

/** A cluster spans uploads: it opens when each of them does; otherwise the first reason that stops one. */
export function forYouAll(each: ForYou[]): ForYou {
  const blocked = each.find((f) => !f.ok);
  if (blocked) return { ...blocked, missing: [...new Set(each.flatMap((f) => f.missing))] };
  return each.find((f) => f.fix) ?? each[0] ?? { ok: false, missing: [], text: "no upload" };
}
