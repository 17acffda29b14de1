import { beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { isAbeError } from "./errors";
import { makeTransformKey, setupGlobal } from "./keys";
import { decrypt, encrypt } from "./envelope";
import { finishDecrypt, partialDecrypt } from "./outsource";
import { encodeEnvelope } from "./serialize";
import { parsePolicy, satisfies } from "./policy";
import { makeAuthorities, makeUserKeys } from "./testing";
import type { AttributeAuthorityKeys, AttributeVk, TransformKey, TransformSecret, UserKeys } from "./types";

const pp = setupGlobal();
const UNIVERSE = ["HA1.a", "HA1.b", "HA2.c", "HA2.d", "INST.e"];
let vks: Map<string, AttributeVk>;
let auth: Map<string, AttributeAuthorityKeys>;
let everything: UserKeys; // one GID holding every attribute; subsets are taken per run
let transform: { tk: TransformKey; secret: TransformSecret };

beforeAll(() => {
  ({ auth, vks } = makeAuthorities(UNIVERSE, "property-test"));
  everything = makeUserKeys(auth, "gid-prop", UNIVERSE);
  transform = makeTransformKey(everything);
});

/** Random policies over the universe: AND / OR / k-of-n gates, nesting depth <= 2, 2-7 rows. */
const leafArb = fc.constantFrom(...UNIVERSE);
function gateArb(depth: number): fc.Arbitrary<string> {
  const child =
    depth > 0
      ? fc.oneof(
          leafArb,
          leafArb,
          gateArb(depth - 1).map((g) => `(${g})`),
        )
      : leafArb;
  return fc
    .tuple(fc.constantFrom("AND", "OR", "THRESHOLD"), fc.array(child, { minLength: 2, maxLength: 3 }), fc.nat())
    .map(([kind, kids, k]) => (kind === "THRESHOLD" ? `${1 + (k % kids.length)} of (${kids.join(", ")})` : kids.join(` ${kind} `)));
}
const policyArb = gateArb(1);

const subsetArb = fc.subarray(UNIVERSE, { minLength: 1 });

function pick<T>(m: ReadonlyMap<string, T>, names: readonly string[]): Map<string, T> {
  return new Map(names.map((n) => [n, m.get(n) as T]));
}

describe("decrypts iff the attribute set satisfies the policy", () => {
  it("full and outsourced decryption, optimized path and reference path agree", () => {
    let runs = 0;
    fc.assert(
      fc.property(policyArb, subsetArb, fc.uint8Array({ minLength: 32, maxLength: 32 }), (policy, held, zeta) => {
        runs++;
        const m = new TextEncoder().encode(`m:${policy}:${held.join(",")}`);
        const env = encrypt(pp, vks, policy, m, { zeta });
        // Same zeta on the reference path: byte-identical ciphertext (every 3rd run; it is slow).
        if (runs % 3 === 0) expect(encodeEnvelope(encrypt(pp, vks, policy, m, { zeta, reference: true }))).toEqual(encodeEnvelope(env));
        const keys: UserKeys = { gid: everything.gid, keys: pick(everything.keys, held) };
        const tk: TransformKey = { gid: everything.gid, keys: pick(transform.tk.keys, held) };
        const should = satisfies(parsePolicy(policy), held);
        if (should) {
          expect(decrypt(pp, vks, env, keys).payload).toEqual(m);
          const pd = partialDecrypt(pp, env, tk);
          expect(finishDecrypt(pp, env, pd, transform.secret).payload).toEqual(m);
          if (runs % 4 === 0) expect(decrypt(pp, vks, env, keys, { reference: true }).payload).toEqual(m);
        } else {
          for (const attempt of [() => decrypt(pp, vks, env, keys), () => partialDecrypt(pp, env, tk)]) {
            try {
              attempt();
              return false;
            } catch (e) {
              if (!isAbeError(e, "POLICY_UNSATISFIED")) throw e;
            }
          }
        }
        return true;
      }),
      { numRuns: 60, seed: 20240611 },
    );
  });
});
