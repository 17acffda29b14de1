import { beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { type AbsSignature, type AbsVerificationKey, absPolicyId, absSign, absVerify, clearAbsCache, decodeAbsSignature, encodeAbsSignature } from "./abs";
import { AbeError } from "./errors";
import {
  type G2,
  type GT,
  R,
  encodeG1,
  encodeGT,
  eggPow,
  frAdd,
  frInv,
  frMul,
  frNeg,
  frSub,
  g1,
  g2Mul,
  gtMul,
  gtPow,
  hashGid,
  hashToFr,
  mulG2,
  pair,
  randomFr,
} from "./group";
import { keygen, setupAttribute } from "./keys";
import { type PolicyNode, explainMissing, formatPolicy, parsePolicy, policyAttributes, policyLeaves, satisfies } from "./policy";
import type { AttributeAuthorityKeys } from "./types";

const A = "HA1.cardiology";
const B = "HA1.researcher";
const C = "HA2.oncology";
const D = "HA2.admin";
const E = "HA3.genetics";
const ATTRS = [A, B, C, D, E];
const ALICE = "gid:alice@ha1";
const BOB = "gid:bob@inst2";

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const request = (id: number, nonce: string): Uint8Array => enc(JSON.stringify({ requestId: id, clusterId: "c-7", nonce, at: "2025-01-01T10:00:00Z" }));

let authorities: Map<string, AttributeAuthorityKeys>;
let vks: Map<string, AbsVerificationKey>;
const keyCache = new Map<string, G2>();

/** SIK_{i,GID} for the listed attributes (memoised: keygen uses the constant-time ladder). */
function issue(gid: string, attrs: string[]): Map<string, G2> {
  return new Map(
    attrs.map((a) => {
      const id = `${gid}|${a}`;
      if (!keyCache.has(id)) keyCache.set(id, keygen(authorities.get(a)!.secret, gid));
      return [a, keyCache.get(id)!];
    }),
  );
}

function abeError(fn: () => unknown): AbeError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AbeError);
    return e as AbeError;
  }
  throw new Error("expected an AbeError");
}

beforeAll(() => {
  authorities = new Map(ATTRS.map((a) => [a, setupAttribute(a)]));
  vks = new Map(ATTRS.map((a) => [a, authorities.get(a)!.vk]));
});

describe("absSign / absVerify: valid signatures", () => {
  const cases: [string, string, string[]][] = [
    ["AND", `${A} AND ${B}`, [A, B]],
    ["OR (first branch)", `${A} OR ${C}`, [A]],
    ["OR (second branch)", `${A} OR ${C}`, [C]],
    ["threshold 2 of 3", `2 of (${A}, ${B}, ${C})`, [A, C]],
    ["threshold with spare attributes", `2 of (${A}, ${B}, ${C})`, [A, B, C]],
    ["nested", `${A} AND (2 of (${B}, ${C}, ${D}) OR ${E})`, [A, C, D]],
    ["nested, other branch", `${A} AND (2 of (${B}, ${C}, ${D}) OR ${E})`, [A, E]],
    ["repeated attribute", `(${A} AND ${B}) OR (${A} AND ${C})`, [A, C]],
    ["single attribute", A, [A]],
  ];
  it.each(cases)("%s", (_, policy, held) => {
    const message = request(1, "n-1");
    const sig = absSign({ message, policy, gid: ALICE, keys: issue(ALICE, held), vks });
    expect(absVerify({ message, policy, gid: ALICE, signature: sig, vks })).toEqual({ ok: true });
    const bytes = encodeAbsSignature(sig);
    expect(absVerify({ message, policy, gid: ALICE, signature: bytes, vks })).toEqual({ ok: true });
  });

  it("accepts UserKeys, record maps and VK lists", () => {
    const message = request(2, "n-2");
    const policy = `${A} OR ${B}`;
    const keys = { gid: ALICE, keys: issue(ALICE, [B]) };
    const sig = absSign({ message, policy, gid: ALICE, keys, vks: [...authorities.values()].map((a) => a.vk) });
    expect(absVerify({ message, policy, gid: ALICE, signature: sig, vks: Object.fromEntries(vks) })).toEqual({ ok: true });
    expect(abeError(() => absSign({ message, policy, gid: BOB, keys, vks })).code).toBe("INVALID_ARGUMENT");
  });

  it("encodes canonically and decodes to the same signature", () => {
    const sig = absSign({ message: request(3, "n"), policy: `2 of (${A}, ${B}, ${C})`, gid: ALICE, keys: issue(ALICE, [A, B]), vks });
    const bytes = encodeAbsSignature(sig);
    expect(bytes.length).toBe(4 + (4 + 16) + 4 + (4 + 32 * 3) + (4 + 96 * 3));
    const back = decodeAbsSignature(bytes);
    expect(back.policyId).toEqual(sig.policyId);
    expect(back.c).toEqual(sig.c);
    expect(back.Z.every((z, i) => z.equals(sig.Z[i]))).toBe(true);
    expect(encodeAbsSignature(back)).toEqual(bytes);
  });

  it("keeps verifying as the Y cache warms up, and after it is cleared", () => {
    const message = request(4, "n");
    const policy = `${A} AND ${B} AND ${A}`;
    const sig = absSign({ message, policy, gid: ALICE, keys: issue(ALICE, [A, B]), vks });
    clearAbsCache();
    for (let i = 0; i < 3; i++) expect(absVerify({ message, policy, gid: ALICE, signature: sig, vks }).ok).toBe(true);
    clearAbsCache();
    expect(absVerify({ message, policy, gid: ALICE, signature: sig, vks }).ok).toBe(true);
  });
});

describe("absVerify: rejections", () => {
  const policy = `${A} AND (${B} OR ${C})`;
  const message = request(10, "nonce-10");
  let sig: AbsSignature;
  beforeAll(() => {
    sig = absSign({ message, policy, gid: ALICE, keys: issue(ALICE, [A, C]), vks });
  });

  it("rejects a changed message and a replay for another request", () => {
    expect(absVerify({ message: enc("something else"), policy, gid: ALICE, signature: sig, vks })).toEqual({ ok: false, reason: "BAD_SIGNATURE" });
    expect(absVerify({ message: request(11, "nonce-11"), policy, gid: ALICE, signature: sig, vks })).toEqual({ ok: false, reason: "BAD_SIGNATURE" });
  });

  it("rejects another policy, even with a patched fingerprint", () => {
    for (const other of [`${A} OR (${B} AND ${C})`, `(${B} OR ${C}) AND ${A}`, `${A} AND ${C}`]) {
      expect(absVerify({ message, policy: other, gid: ALICE, signature: sig, vks })).toEqual({ ok: false, reason: "POLICY_MISMATCH" });
    }
    const other = `${A} OR (${B} AND ${C})`;
    const patched = { ...sig, policyId: absPolicyId(other) };
    expect(absVerify({ message, policy: other, gid: ALICE, signature: patched, vks })).toEqual({ ok: false, reason: "BAD_SIGNATURE" });
  });

  it("accepts the same policy written differently (canonical form)", () => {
    const same = `((${A})) and ( ${B} or ${C} )`;
    expect(absVerify({ message, policy: same, gid: ALICE, signature: sig, vks })).toEqual({ ok: true });
  });

  it("rejects another GID", () => {
    expect(absVerify({ message, policy, gid: BOB, signature: sig, vks })).toEqual({ ok: false, reason: "BAD_SIGNATURE" });
  });

  it("rejects against a rotated verification key", () => {
    const rotated = new Map(vks);
    rotated.set(A, setupAttribute(A).vk);
    expect(absVerify({ message, policy, gid: ALICE, signature: sig, vks: rotated })).toEqual({ ok: false, reason: "BAD_SIGNATURE" });
  });

  it("reports unknown attributes and malformed input without throwing", () => {
    const partial = new Map(vks);
    partial.delete(C);
    expect(absVerify({ message, policy, gid: ALICE, signature: sig, vks: partial })).toEqual({ ok: false, reason: "UNKNOWN_ATTRIBUTE" });
    const bad = (args: Partial<Parameters<typeof absVerify>[0]>): unknown =>
      absVerify({ message, policy, gid: ALICE, signature: sig, vks, ...args } as Parameters<typeof absVerify>[0]);
    expect(bad({ policy: `${A} AND` })).toEqual({ ok: false, reason: "MALFORMED" });
    expect(bad({ gid: "" })).toEqual({ ok: false, reason: "MALFORMED" });
    expect(bad({ message: "text" as unknown as Uint8Array })).toEqual({ ok: false, reason: "MALFORMED" });
    expect(bad({ signature: {} as AbsSignature })).toEqual({ ok: false, reason: "MALFORMED" });
    expect(bad({ signature: { ...sig, c: sig.c.map(() => R) } })).toEqual({ ok: false, reason: "MALFORMED" });
    expect(bad({ signature: new Uint8Array([1, 2, 3]) })).toEqual({ ok: false, reason: "MALFORMED" });
    const garbage = { eggAlpha: 1n, g1Gamma: 2n } as unknown as AbsVerificationKey;
    expect(bad({ vks: new Map([...vks, [A, garbage]]) })).toEqual({ ok: false, reason: "MALFORMED" });
    expect(bad({ signature: null as unknown as AbsSignature, vks: null as unknown as Map<string, AbsVerificationKey> })).toEqual({
      ok: false,
      reason: "MALFORMED",
    });
  });

  it("rejects the encoding with any byte flipped (sample)", () => {
    const bytes = encodeAbsSignature(sig);
    const cStart = 4 + 20 + 4 + 4;
    const zStart = cStart + 32 * 3 + 4;
    const positions = [0, 2, 3, 5, 10, 24, 27, 30, cStart, cStart + 17, cStart + 63, zStart - 2, zStart, zStart + 50, zStart + 96 + 5, bytes.length - 1];
    for (const pos of positions) {
      const tampered = bytes.slice();
      tampered[pos] ^= 1 << (pos % 8);
      const res = absVerify({ message, policy, gid: ALICE, signature: tampered, vks });
      expect(res.ok, `flip at ${pos}`).toBe(false);
    }
  });
});

describe("absSign: who cannot sign", () => {
  it("refuses when the keys do not satisfy the policy and names what is missing", () => {
    const policy = `${A} AND (${B} OR ${C}) AND 2 of (${D}, ${E}, ${B})`;
    const e = abeError(() => absSign({ message: enc("m"), policy, gid: ALICE, keys: issue(ALICE, [A, D]), vks }));
    expect(e.code).toBe("POLICY_UNSATISFIED");
    expect(e.detail).toEqual({ missing: [B] });
    expect(abeError(() => absSign({ message: enc("m"), policy: A, gid: ALICE, keys: new Map(), vks })).code).toBe("POLICY_UNSATISFIED");
  });

  it("refuses without VKs for the policy, and reports bad policies as PolicyError", () => {
    expect(abeError(() => absSign({ message: enc("m"), policy: "HA9.unknown", gid: ALICE, keys: new Map(), vks })).code).toBe("MISSING_KEY");
    expect(() => absSign({ message: enc("m"), policy: "4 of (HA1.a)", gid: ALICE, keys: new Map(), vks })).toThrow(/impossible/);
  });

  it("a signature simulated on every leaf with a random root challenge fails", () => {
    for (const policy of [`${A} AND ${B}`, `${A} OR ${B} OR ${C}`, `2 of (${A}, ${B} AND ${D}, ${C})`]) {
      const forged = simulateEverything(policy);
      expect(absVerify({ message: enc("m"), policy, gid: ALICE, signature: forged, vks })).toEqual({ ok: false, reason: "BAD_SIGNATURE" });
    }
  });

  it("a key that is not the attribute's key does not verify", () => {
    const keys = issue(ALICE, [A]);
    keys.set(B, g2Mul(randomFr()));
    const policy = `${A} AND ${B}`;
    const sig = absSign({ message: enc("m"), policy, gid: ALICE, keys, vks });
    expect(absVerify({ message: enc("m"), policy, gid: ALICE, signature: sig, vks })).toEqual({ ok: false, reason: "BAD_SIGNATURE" });
  });

  it("colluding users cannot combine keys of two GIDs", () => {
    const policy = `${A} AND ${C}`;
    const pooled = new Map([...issue(ALICE, [A]), ...issue(BOB, [C])]);
    for (const gid of [ALICE, BOB]) {
      const sig = absSign({ message: enc("m"), policy, gid, keys: pooled, vks });
      expect(absVerify({ message: enc("m"), policy, gid, signature: sig, vks })).toEqual({ ok: false, reason: "BAD_SIGNATURE" });
    }
  });
});

/**
 * A hand-written prover (independent of abs.ts, transcript copied from its documentation):
 * leaves in `simulated` get the given challenge and a simulated proof, the others are proven
 * with the given keys after `answer` turns the root challenge into their challenges.
 */
function manualSign(policy: string, keys: Map<string, G2>, simulated: Map<number, bigint>, answer: (root: bigint) => Map<number, bigint>): AbsSignature {
  const tree = parsePolicy(policy);
  const leaves = policyLeaves(tree);
  const H = hashGid(ALICE);
  const t = new Map<number, bigint>();
  const Z: G2[] = [];
  const Rs: GT[] = leaves.map((attr, x) => {
    const cx = simulated.get(x);
    if (cx === undefined) {
      t.set(x, randomFr());
      return eggPow(t.get(x)!);
    }
    const z = randomFr();
    Z[x] = g2Mul(z);
    const vk = vks.get(attr)!;
    const Y = gtMul(vk.eggAlpha, pair(vk.g1Gamma, H));
    return gtMul(pair(g1, Z[x]), gtPow(Y, frNeg(cx)));
  });
  const message = enc("m");
  const vkParts = policyAttributes(tree).flatMap((a) => [enc(a), encodeGT(vks.get(a)!.eggAlpha), encodeG1(vks.get(a)!.g1Gamma)]);
  const root = hashToFr("MEDSHARE-V1-ABS-CHALLENGE", message, enc(formatPolicy(tree)), enc(ALICE), ...vkParts, ...Rs.map(encodeGT));
  const proven = answer(root);
  const c = leaves.map((_, x) => simulated.get(x) ?? proven.get(x)!);
  leaves.forEach((attr, x) => {
    if (!simulated.has(x)) Z[x] = g2Mul(t.get(x)!).add(mulG2(keys.get(attr)!, c[x]));
  });
  return { policyId: absPolicyId(policy), c, Z };
}

describe("challenge consistency (soundness of the composition)", () => {
  const message = enc("m");
  const half = frInv(2n);

  it("a hand-made honest 2-of-3 proof verifies (control for the transcript copy)", () => {
    const policy = `2 of (${A}, ${B}, ${C})`;
    const cC = randomFr();
    // f of degree 1 through (0, root) and (3, cC): f(x) = root + x (cC - root) / 3.
    const sig = manualSign(policy, issue(ALICE, [A, B]), new Map([[2, cC]]), (root) => {
      const slope = frMul(frSub(cC, root), frInv(3n));
      return new Map([
        [0, frAdd(root, slope)],
        [1, frAdd(root, frMul(2n, slope))],
      ]);
    });
    expect(absVerify({ message, policy, gid: ALICE, signature: sig, vks })).toEqual({ ok: true });
  });

  it("one key cannot pass 2-of-3 by leaving the third challenge off the polynomial", () => {
    const policy = `2 of (${A}, ${B}, ${C})`;
    const cB = randomFr();
    const cC = randomFr();
    // f through (0, root) and (2, cB) gives f(1) = (root + cB) / 2; C's challenge is ignored.
    const sig = manualSign(
      policy,
      issue(ALICE, [A]),
      new Map([
        [1, cB],
        [2, cC],
      ]),
      (root) => new Map([[0, frMul(frAdd(root, cB), half)]]),
    );
    expect(absVerify({ message, policy, gid: ALICE, signature: sig, vks })).toEqual({ ok: false, reason: "BAD_SIGNATURE" });
  });

  it("one key cannot pass an AND by giving the other leaf a different challenge", () => {
    const policy = `${A} AND ${B}`;
    const sig = manualSign(policy, issue(ALICE, [A]), new Map([[1, randomFr()]]), (root) => new Map([[0, root]]));
    expect(absVerify({ message, policy, gid: ALICE, signature: sig, vks })).toEqual({ ok: false, reason: "BAD_SIGNATURE" });
  });

  it("an OR proof whose challenges do not sum to the root fails", () => {
    const policy = `${A} OR ${B}`;
    const sig = manualSign(policy, issue(ALICE, [A]), new Map([[1, randomFr()]]), (root) => new Map([[0, root]]));
    expect(absVerify({ message, policy, gid: ALICE, signature: sig, vks })).toEqual({ ok: false, reason: "BAD_SIGNATURE" });
    const honest = manualSign(policy, issue(ALICE, [A]), new Map([[1, 5n]]), (root) => new Map([[0, frSub(root, 5n)]]));
    expect(absVerify({ message, policy, gid: ALICE, signature: honest, vks })).toEqual({ ok: true });
  });
});

/**
 * A forger without keys: consistent random challenges for a random root (AND equal, OR summing,
 * thresholds on a random polynomial) and random responses.
 */
function simulateEverything(policy: string): AbsSignature {
  const c: bigint[] = [];
  const spread = (n: PolicyNode, cn: bigint): void => {
    if (n.kind === "attr") c.push(cn);
    else if (n.kind === "and") n.children.forEach((ch) => spread(ch, cn));
    else if (n.kind === "or") {
      let rest = cn;
      n.children.forEach((ch, j) => {
        const cj = j === n.children.length - 1 ? rest : randomFr();
        rest = frSub(rest, cj);
        spread(ch, cj);
      });
    } else {
      // n-of-n / k-of-n: a random polynomial of degree n-k through (0, cn).
      const coeffs = Array.from({ length: n.children.length - n.k }, () => randomFr());
      n.children.forEach((ch, j) => {
        const x = BigInt(j + 1);
        let acc = 0n;
        for (let d = coeffs.length - 1; d >= 0; d--) acc = frAdd((acc * x) % R, coeffs[d]);
        spread(ch, frAdd((acc * x) % R, cn));
      });
    }
  };
  spread(parsePolicy(policy), randomFr());
  return { policyId: absPolicyId(policy), c, Z: c.map(() => g2Mul(randomFr())) };
}

describe("random policies (property)", () => {
  const POOL = [A, B, C, D];
  const policyArb: fc.Arbitrary<PolicyNode> = fc
    .letrec<{ node: PolicyNode }>((tie) => ({
      node: fc.oneof(
        { depthSize: "small", maxDepth: 2 },
        fc.constantFrom(...POOL).map((name): PolicyNode => ({ kind: "attr", name })),
        fc.record({ kind: fc.constantFrom("and" as const, "or" as const), children: fc.array(tie("node"), { minLength: 2, maxLength: 3 }) }),
        fc
          .array(tie("node"), { minLength: 2, maxLength: 3 })
          .chain((children) => fc.integer({ min: 1, max: children.length }).map((k): PolicyNode => ({ kind: "threshold", k, children }))),
      ),
    }))
    .node.filter((p) => policyLeaves(p).length <= 5);

  it("signs iff the keys satisfy, and signatures verify only for their own message", () => {
    fc.assert(
      fc.property(policyArb, fc.subarray(POOL), fc.uint8Array({ maxLength: 40 }), (policy, held, message) => {
        const keys = issue(ALICE, held);
        if (!satisfies(policy, held)) {
          const e = abeError(() => absSign({ message, policy, gid: ALICE, keys, vks }));
          expect(e.code).toBe("POLICY_UNSATISFIED");
          expect(e.detail).toEqual({ missing: explainMissing(policy, held) });
          return;
        }
        const sig = absSign({ message, policy, gid: ALICE, keys, vks });
        const text = formatPolicy(policy);
        expect(absVerify({ message, policy: text, gid: ALICE, signature: encodeAbsSignature(sig), vks })).toEqual({ ok: true });
        const other = new Uint8Array([...message, 1]);
        expect(absVerify({ message: other, policy: text, gid: ALICE, signature: sig, vks }).ok).toBe(false);
      }),
      { numRuns: 24 },
    );
  });
});

describe("decodeAbsSignature fuzz", () => {
  let valid: Uint8Array;
  beforeAll(() => {
    valid = encodeAbsSignature(absSign({ message: enc("m"), policy: `${A} OR ${B}`, gid: ALICE, keys: issue(ALICE, [A]), vks }));
  });

  const onlyTyped = (bytes: Uint8Array): void => {
    try {
      decodeAbsSignature(bytes);
    } catch (e) {
      expect(e).toBeInstanceOf(AbeError);
    }
  };

  it("random bytes give only AbeError", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 400 }),
          fc.uint8Array({ maxLength: 400 }).map((b) => new Uint8Array([0x4d, 0x53, 1, 0x20, ...b])),
        ),
        onlyTyped,
      ),
      { numRuns: 2000 },
    );
  });

  it("mutated valid encodings give a signature or an AbeError, and never verify", () => {
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant("flip" as const), pos: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
      fc.record({ kind: fc.constant("truncate" as const), pos: fc.nat() }),
      fc.record({ kind: fc.constant("append" as const), extra: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
      fc.record({ kind: fc.constant("set" as const), pos: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
    );
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), (mutations) => {
        let b = valid.slice();
        for (const m of mutations) {
          if (m.kind === "flip") b[m.pos % b.length] ^= 1 << m.bit;
          else if (m.kind === "set") b[m.pos % b.length] = m.value;
          else if (m.kind === "truncate") b = b.slice(0, m.pos % b.length);
          else b = new Uint8Array([...b, ...m.extra]);
        }
        let decoded: AbsSignature | null = null;
        try {
          decoded = decodeAbsSignature(b);
        } catch (e) {
          expect(e).toBeInstanceOf(AbeError);
        }
        const changed = b.length !== valid.length || b.some((v, i) => v !== valid[i]);
        // Strict decoding: a changed encoding is rejected, or decodes to a signature that fails.
        if (decoded && changed) {
          expect(absVerify({ message: enc("m"), policy: `${A} OR ${B}`, gid: ALICE, signature: decoded, vks }).ok).toBe(false);
        }
      }),
      { numRuns: 150 },
    );
  });
});
