// Issue #11 item 12: secret exponents take a fixed-sequence, masked-lookup ladder (GT) or noble's
// constant-time multiply (G1, G2); results byte-identical to noble; the operation sequence does
// not depend on the exponent; and the scheme's secret exponents never reach a variable-time entry.
import { bls12_381 } from "@noble/curves/bls12-381.js";
import { afterEach, describe, expect, it } from "vitest";
import {
  R,
  egg,
  eggPowSecret,
  encodeG1,
  encodeG2,
  encodeGT,
  frInv,
  g1MulSecret,
  g2MulSecret,
  gtPowSecret,
  gtPowSecretMulti,
  hashToG1,
  hashToG1PowSecret,
  mulG1CachedSecret,
  mulG1Secret,
  mulG2Secret,
  pair,
  randomFr,
  rowsG1Secret,
} from "./group";
import { finishDecrypt, partialDecrypt } from "./outsource";
import { encrypt } from "./envelope";
import { keygen, makeTransformKey, setupAttribute, setupGlobal } from "./keys";
import { absSign } from "./abs";
import { exponentTrace, type ExponentOp } from "./trace";
import { SECRET_COMB_WORDS, SECRET_TABLE_WORDS, maskedSelect, maskedSelectRow, secretComb, secretTable } from "./wasm/gt-secret";
import { WASM_DISABLED, fieldWasm, fp12ToLimbs } from "./wasm/runtime";
import { maskedSelectPoint, oddDigits } from "./wasm/curve";

const Fp12 = bls12_381.fields.Fp12;
const G1 = bls12_381.G1.Point;
const G2 = bls12_381.G2.Point;
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

afterEach(() => {
  exponentTrace.hook = null;
  WASM_DISABLED.value = false;
});

function trace<T>(fn: () => T): { out: T; ops: ExponentOp[] } {
  const ops: ExponentOp[] = [];
  exponentTrace.hook = (op) => ops.push(op);
  try {
    return { out: fn(), ops };
  } finally {
    exponentTrace.hook = null;
  }
}

// Exponents that stress digit handling: zero windows, all-ones windows, the edges of Zr.
const base = pair(g1MulSecret(7n), g2MulSecret(11n));
const edgy = [1n, 2n, 15n, 16n, 1n << 64n, (1n << 128n) + 1n, R - 1n, R - 2n, 0xd201000000010000n, 0xffffffffffffffffn];

describe.each([
  ["wasm", false],
  ["noble fallback", true],
])("GT secret ladder (%s)", (_name, noWasm) => {
  it("equals noble's Fp12.pow byte for byte", () => {
    WASM_DISABLED.value = noWasm;
    if (!noWasm) expect(fieldWasm()).not.toBeNull();
    for (const k of [...edgy, randomFr(), randomFr()]) expect(hex(encodeGT(gtPowSecret(base, k)))).toBe(hex(encodeGT(Fp12.pow(base, k))));
    const [a, b] = [randomFr(), randomFr()];
    expect(
      hex(
        encodeGT(
          gtPowSecretMulti(
            [
              [egg(), a],
              [base, b],
            ],
            true,
          ),
        ),
      ),
    ).toBe(hex(encodeGT(Fp12.mul(Fp12.pow(egg(), a), Fp12.pow(base, b)))));
    expect(hex(encodeGT(eggPowSecret(a)))).toBe(hex(encodeGT(Fp12.pow(egg(), a))));
  });

  it("performs the same sequence of operations for every exponent (64 squarings, 64 full-table scans and multiplications per base)", () => {
    WASM_DISABLED.value = noWasm;
    // same bit length, very different digits: mostly zero windows vs dense vs random
    const sparse = (1n << 254n) + 1n;
    const dense = (1n << 255n) - 1n - (1n << 200n);
    const traces = [sparse, dense % R, randomFr() | (1n << 254n), 1n].map((k) => trace(() => gtPowSecret(base, k)).ops);
    for (const t of traces) expect(t).toEqual(traces[0]);
    const steps = traces[0].map((o) => (o.path === "secret" ? o.step : `public:${o.op}`));
    expect(steps.filter((s) => s === "sqr")).toHaveLength(64);
    expect(steps.filter((s) => s === "mul")).toHaveLength(64);
    expect(steps.filter((s) => s === "scan:16")).toHaveLength(64);
    expect(steps.filter((s) => s.startsWith("public:"))).toEqual([]);
    // two bases share the squarings
    const two = [randomFr(), 3n].map(
      (k) =>
        trace(() =>
          gtPowSecretMulti(
            [
              [egg(), k],
              [base, R - k],
            ],
            true,
          ),
        ).ops,
    );
    expect(two[0]).toEqual(two[1]);
    expect(two[0].filter((o) => o.path === "secret" && o.step === "mul")).toHaveLength(128);
  });
});

describe.each([
  ["wasm", false],
  ["noble fallback", true],
])("GT secret fixed-base comb (%s)", (_name, noWasm) => {
  // A fresh long-lived base per backend, so each builds its own comb.
  const longLived = pair(g1MulSecret(noWasm ? 13n : 17n), g2MulSecret(19n));

  it("equals noble's Fp12.pow byte for byte", () => {
    WASM_DISABLED.value = noWasm;
    if (!noWasm) expect(fieldWasm()).not.toBeNull();
    for (const k of [0n, ...edgy, randomFr(), randomFr()])
      expect(hex(encodeGT(gtPowSecretMulti([[longLived, k]], true)))).toBe(hex(encodeGT(Fp12.pow(longLived, k))));
    const [a, b] = [randomFr(), randomFr()];
    expect(
      hex(
        encodeGT(
          gtPowSecretMulti(
            [
              [egg(), a],
              [longLived, b],
            ],
            true,
          ),
        ),
      ),
    ).toBe(hex(encodeGT(Fp12.mul(Fp12.pow(egg(), a), Fp12.pow(longLived, b)))));
  });

  it("same sequence for every exponent: per base 64 full-row scans and 64 multiplications, no squarings", () => {
    WASM_DISABLED.value = noWasm;
    gtPowSecretMulti([[longLived, 1n]], true); // comb built outside the traces
    const sparse = (1n << 254n) + 1n;
    const dense = ((1n << 255n) - 1n - (1n << 200n)) % R;
    const traces = [sparse, dense, randomFr(), 1n, 0n, R - 1n].map((k) => trace(() => gtPowSecretMulti([[longLived, k]], true)).ops);
    for (const t of traces) expect(t).toEqual(traces[0]);
    const steps = traces[0].map((o) => (o.path === "secret" ? o.step : `public:${o.op}`));
    expect(steps).toEqual(Array.from({ length: 64 }, () => ["scan:16", "mul"]).flat());
    const two = [randomFr(), 3n].map(
      (k) =>
        trace(() =>
          gtPowSecretMulti(
            [
              [egg(), k],
              [longLived, R - k],
            ],
            true,
          ),
        ).ops,
    );
    expect(two[0]).toEqual(two[1]);
    expect(two[0].filter((o) => o.path === "secret" && o.step === "sqr")).toHaveLength(0);
    expect(two[0].filter((o) => o.path === "secret" && o.step === "mul")).toHaveLength(128);
    expect(trace(() => eggPowSecret(randomFr())).ops).toEqual(trace(() => eggPowSecret(5n)).ops);
  });
});

describe("comb table", () => {
  it("wasm-built = noble-built; row j entry v is base^(v 16^j); every lookup reads the whole row", () => {
    expect(fieldWasm()).not.toBeNull();
    const comb = secretComb(base);
    expect(comb.length).toBe(SECRET_COMB_WORDS);
    expect(Array.from(secretComb(base, fieldWasm()))).toEqual(Array.from(comb));
    const W = SECRET_COMB_WORDS / (64 * 16);
    for (const [j, v] of [
      [0, 0],
      [0, 1],
      [5, 9],
      [63, 15],
    ]) {
      const out = new Uint32Array(W);
      maskedSelectRow(comb, j * 16 * W, v, out, 0);
      expect(Array.from(out)).toEqual(Array.from(fp12ToLimbs(Fp12.pow(base, 16n ** BigInt(j) * BigInt(v)))));
    }
    let reads = 0;
    const counting = new Proxy(comb, {
      get(t, p) {
        if (typeof p === "string" && /^\d+$/.test(p)) reads++;
        const value = Reflect.get(t, p, t);
        return typeof value === "function" ? value.bind(t) : value;
      },
    }) as Uint32Array;
    for (const v of [0, 6, 15]) {
      reads = 0;
      maskedSelectRow(counting, 40 * 16 * W, v, new Uint32Array(W), 0);
      expect(reads).toBe(16 * W);
    }
  });
});

describe("masked lookup", () => {
  it("reads every entry and returns exactly the wanted one", () => {
    const table = secretTable(base);
    expect(fieldWasm()).not.toBeNull();
    expect(Array.from(secretTable(base, fieldWasm()))).toEqual(Array.from(table)); // wasm-built table = noble-built
    expect(table.length).toBe(SECRET_TABLE_WORDS);
    const W = SECRET_TABLE_WORDS / 64;
    for (const v of [0, 1, 7, 15]) {
      const out = new Uint32Array(W);
      maskedSelect(table, 2, v, out, 0);
      expect(Array.from(out)).toEqual(Array.from(table.subarray((2 * 16 + v) * W, (2 * 16 + v + 1) * W)));
    }
    let reads = 0;
    const counting = new Proxy(table, {
      get(t, p) {
        if (typeof p === "string" && /^\d+$/.test(p)) reads++;
        const value = Reflect.get(t, p, t);
        return typeof value === "function" ? value.bind(t) : value;
      },
    }) as Uint32Array;
    for (const v of [0, 9]) {
      reads = 0;
      maskedSelect(counting, 1, v, new Uint32Array(W), 0);
      expect(reads).toBe(16 * W); // all 16 entries, whatever v is
    }
  });
});

describe("G1/G2 secret multiplication", () => {
  // (noble's prototypes are frozen, so multiplyUnsafe cannot be spied on: the secret entries call
  // `multiply`, and the public-path hook below shows no secret reaches our variable-time entries,
  // the only callers of multiplyUnsafe outside the test-only reference group.)
  it("equals noble's constant-time multiply byte for byte", () => {
    const P = hashToG1("MEDSHARE-TEST", new TextEncoder().encode("p"));
    for (const k of [...edgy, randomFr()]) {
      const kk = k % R;
      const { ops } = trace(() => [g1MulSecret(kk), g2MulSecret(kk), mulG1CachedSecret(P, kk)]);
      expect(ops.filter((o) => o.path === "public")).toEqual([]);
      expect(hex(encodeG1(g1MulSecret(kk)))).toBe(hex(encodeG1(G1.BASE.multiply(kk))));
      expect(hex(encodeG2(g2MulSecret(kk)))).toBe(hex(encodeG2(G2.BASE.multiply(kk))));
      expect(hex(encodeG1(mulG1CachedSecret(P, kk)))).toBe(hex(encodeG1(P.multiply(kk))));
      expect(hex(encodeG1(hashToG1PowSecret("MEDSHARE-TEST", new TextEncoder().encode("p"), kk)))).toBe(hex(encodeG1(P.multiply(kk))));
    }
    const [[C2, C3]] = rowsG1Secret([[P, 5n, 9n]]);
    expect(C2.equals(G1.BASE.multiply(5n)) && C3.equals(P.multiply(5n).add(G1.BASE.multiply(9n)))).toBe(true);
    const [r, omega] = [randomFr(), randomFr()];
    const rows = rowsG1Secret([
      [P, r, omega],
      [P, R - 1n, 1n],
    ]);
    expect(rows.map(([a, b]) => hex(encodeG1(a)) + hex(encodeG1(b)))).toEqual(
      [
        [r, omega],
        [R - 1n, 1n],
      ].map(([x, y]) => hex(encodeG1(G1.BASE.multiply(x))) + hex(encodeG1(P.multiply(x).add(G1.BASE.multiply(y))))),
    );
  });

  it("noble fallback (no wasm) gives the same bytes", () => {
    WASM_DISABLED.value = true;
    const P = hashToG1("MEDSHARE-TEST", new TextEncoder().encode("q"));
    for (const k of [1n, R - 1n, randomFr()]) {
      expect(hex(encodeG1(g1MulSecret(k)))).toBe(hex(encodeG1(G1.BASE.multiply(k))));
      expect(hex(encodeG2(g2MulSecret(k)))).toBe(hex(encodeG2(G2.BASE.multiply(k))));
      expect(hex(encodeG1(mulG1CachedSecret(P, k)))).toBe(hex(encodeG1(P.multiply(k))));
    }
  });

  it("wasm comb: same sequence for every scalar (65 full-row scans and additions per term, odd and even k alike)", () => {
    expect(fieldWasm()).not.toBeNull();
    const P = hashToG1("MEDSHARE-TEST", new TextEncoder().encode("p"));
    const ks = [1n, 2n, R - 1n, R - 2n, (1n << 254n) + 1n, 1n << 64n, randomFr(), randomFr()];
    for (const [name, fn] of [
      ["g1", (k: bigint) => g1MulSecret(k)],
      ["g2", (k: bigint) => g2MulSecret(k)],
      ["P", (k: bigint) => mulG1CachedSecret(P, k)],
      ["rows", (k: bigint) => rowsG1Secret([[P, k, R - k]])],
    ] as const) {
      fn(3n); // tables built outside the traces
      const traces = ks.map((k) => trace(() => fn(k)).ops);
      for (const t of traces) expect(t, name).toEqual(traces[0]);
      const terms = name === "rows" ? 3 : 1;
      expect(traces[0], name).toEqual(
        Array.from({ length: 65 * terms }, () => [
          { path: "secret", step: "scan:8" },
          { path: "secret", step: "add" },
        ]).flat(),
      );
    }
  });

  it("wasm variable-base ladder: noble's bytes, same sequence for every scalar (256 doublings, 65 scans and additions)", () => {
    expect(fieldWasm()).not.toBeNull();
    const P = hashToG1("MEDSHARE-TEST", new TextEncoder().encode("v"));
    const Q = G2.BASE.multiply(12345n);
    const ks = [1n, 2n, 15n, 16n, R - 1n, R - 2n, (1n << 254n) + 1n, randomFr(), randomFr()];
    for (const k of ks) {
      expect(hex(encodeG1(mulG1Secret(P, k)))).toBe(hex(encodeG1(P.multiply(k))));
      expect(hex(encodeG2(mulG2Secret(Q, k)))).toBe(hex(encodeG2(Q.multiply(k))));
    }
    const traces = ks.map((k) => trace(() => mulG1Secret(P, k)).ops);
    for (const t of traces) expect(t).toEqual(traces[0]);
    const steps = traces[0].map((o) => (o.path === "secret" ? o.step : `public:${o.op}`));
    expect(steps.filter((x) => x === "dbl")).toHaveLength(256);
    expect(steps.filter((x) => x === "scan:8")).toHaveLength(65);
    expect(steps.filter((x) => x === "add")).toHaveLength(65);
    expect(steps).toHaveLength(256 + 2 * 65);
    const g2traces = [3n, R - 3n, randomFr()].map((k) => trace(() => mulG2Secret(Q, k)).ops);
    for (const t of g2traces) expect(t).toEqual(traces[0]);
  });

  it("wasm comb: signed odd recoding and full-row lookups", () => {
    for (const k of [1n, 3n, R - 2n, R + 2n, 2n * R - 1n, (1n << 256n) - 1n, randomFr() | 1n]) {
      const d = oddDigits(k);
      expect(d).toHaveLength(65);
      expect(d.every((x) => x % 2 !== 0 && Math.abs(x) <= 15)).toBe(true);
      expect(d.reduceRight((acc, x) => acc * 16n + BigInt(x), 0n)).toBe(k);
    }
    const table = new Uint32Array(3 * 8 * 28).map((_, i) => i);
    let reads = 0;
    const counting = new Proxy(table, {
      get(t, p) {
        if (typeof p === "string" && /^\d+$/.test(p)) reads++;
        const value = Reflect.get(t, p, t);
        return typeof value === "function" ? value.bind(t) : value;
      },
    }) as Uint32Array;
    for (const v of [0, 5, 7]) {
      reads = 0;
      const out = new Uint32Array(28);
      maskedSelectPoint(counting, 8 * 28, 28, v, out, 0);
      expect(reads).toBe(8 * 28);
      expect(Array.from(out)).toEqual(Array.from(table.subarray((8 + v) * 28, (9 + v) * 28)));
    }
  });
});

describe("the scheme routes its secret exponents to the constant-time entries", () => {
  const pp = setupGlobal();
  const a = setupAttribute("HA1.researcher");
  const b = setupAttribute("HA1.cardiology");
  const vks = [a.vk, b.vk];
  const keys = {
    gid: "alice",
    keys: new Map([
      ["HA1.researcher", keygen(a.secret, "alice")],
      ["HA1.cardiology", keygen(b.secret, "alice")],
    ]),
  };
  const payload = new TextEncoder().encode("a record");

  it("encryption: no variable-time exponentiation at all (every exponent derives from d)", () => {
    const { ops } = trace(() => encrypt(pp, vks, "HA1.researcher AND HA1.cardiology", payload));
    expect(ops.filter((o) => o.path === "public")).toEqual([]);
    expect(ops.some((o) => o.path === "secret")).toBe(true);
  });

  it("outsourced decryption: z (and 1/z) only in the ladder; the public path sees only reconstruction coefficients", () => {
    const env = encrypt(pp, vks, "HA1.researcher OR (HA1.cardiology AND HA1.researcher)", payload);
    const { tk, secret } = makeTransformKey(keys);
    const pd = partialDecrypt(pp, env, tk);
    const { out, ops } = trace(() => finishDecrypt(pp, env, pd, secret, { vks }));
    expect(new TextDecoder().decode(out.payload)).toBe("a record");
    const publicKs = ops.flatMap((o) => (o.path === "public" ? [o.k] : []));
    expect(publicKs).not.toContain(secret.z);
    expect(publicKs).not.toContain(frInv(secret.z));
    expect(publicKs.every((k) => k === 1n || k === R - 1n || k < 1n << 16n)).toBe(true);
  });

  it("ABS signing: nonces only in the constant-time GT paths (the only public exponents are the signature's challenges)", () => {
    const { out: sig, ops } = trace(() =>
      absSign({ message: new TextEncoder().encode("request 1"), policy: "HA1.researcher OR HA1.cardiology", gid: "alice", keys, vks }),
    );
    const challenges = new Set(sig.c.flatMap((c) => [c, (R - c) % R]));
    const publicKs = ops.flatMap((o) => (o.path === "public" ? [o.k] : []));
    expect(publicKs.length).toBeGreaterThan(0);
    expect(publicKs.filter((k) => !challenges.has(k))).toEqual([]);
    expect(ops.filter((o) => o.path === "secret" && o.step === "mul").length).toBe(2 * 64); // one comb walk of e(g1,g2) per leaf, proven or simulated
  });
});
