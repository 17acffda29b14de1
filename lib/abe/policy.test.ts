import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { bls12_381_Fr as Fr } from "@noble/curves/bls12-381.js";
import {
  CURVE_ORDER,
  POLICY_LIMITS,
  PolicyError,
  type Lsss,
  type PolicyNode,
  assertPolicyNode,
  compileLsss,
  describePolicy,
  explainMissing,
  formatPolicy,
  lsssShares,
  normalizePolicy,
  parsePolicy,
  policyAttributes,
  policyLeaves,
  reconstruct,
  resolvePolicy,
  satisfies,
} from "./policy";

const attr = (name: string): PolicyNode => ({ kind: "attr", name });
const and = (...children: PolicyNode[]): PolicyNode => ({ kind: "and", children });
const or = (...children: PolicyNode[]): PolicyNode => ({ kind: "or", children });
const th = (k: number, ...children: PolicyNode[]): PolicyNode => ({ kind: "threshold", k, children });

function policyError(fn: () => unknown): PolicyError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(PolicyError);
    return e as PolicyError;
  }
  throw new Error("expected a PolicyError");
}

// ---------------------------------------------------------------------------------------------
// Generators

const POOL = ["HA1.a", "HA1.b", "HA2.c", "HA2.d-x", "H_3.e_1", "HA1.A"];

/** Random trees (not necessarily normalized) over a small pool so attributes repeat. */
function policyArb(pool: string[] = POOL, maxDepth = 4): fc.Arbitrary<PolicyNode> {
  const leaf = fc.constantFrom(...pool).map(attr);
  const { gate } = fc.letrec<{ node: PolicyNode; gate: PolicyNode }>((tie) => ({
    node: fc.oneof({ depthSize: "small", maxDepth, withCrossShrink: true }, leaf, tie("gate")),
    gate: fc.oneof(
      fc.record({
        kind: fc.constantFrom("and" as const, "or" as const),
        children: fc.array(tie("node"), { minLength: 1, maxLength: 4 }),
      }),
      fc
        .array(tie("node"), { minLength: 1, maxLength: 4 })
        .chain((children) => fc.integer({ min: 1, max: children.length }).map((k): PolicyNode => th(k, ...children))),
    ),
  }));
  // Mostly gates at the root, so that few cases are a lone attribute.
  return fc.oneof({ arbitrary: leaf, weight: 1 }, { arbitrary: gate, weight: 9 }).filter((x) => policyLeaves(x).length <= 40);
}

/** Prints a tree with random keyword case, spacing and redundant parentheses. */
function noisyTextArb(node: PolicyNode): fc.Arbitrary<string> {
  const ws = fc.constantFrom("", " ", "  ", "\t", "\n ");
  const kw = (word: string): fc.Arbitrary<string> =>
    fc
      .array(fc.boolean(), { minLength: word.length, maxLength: word.length })
      .map((up) => [...word].map((ch, i) => (up[i] ? ch.toUpperCase() : ch.toLowerCase())).join(""));
  const go = (n: PolicyNode): fc.Arbitrary<string> => {
    const body: fc.Arbitrary<string> =
      n.kind === "attr"
        ? fc.constant(n.name)
        : n.kind === "threshold"
          ? fc.tuple(kw("of"), ws, ...n.children.map(go)).map(([of, w, ...cs]) => `${n.k} ${of}${w}(${cs.join(`,${w}`)})`)
          : fc.tuple(kw(n.kind), ws, ...n.children.map(go)).map(([k, w, ...cs]) => cs.map((c) => `(${c})`).join(` ${w}${k} `));
    return fc.tuple(body, fc.boolean(), ws).map(([b, paren, w]) => (paren ? `(${w}${b}${w})` : b));
  };
  return go(node);
}

const randomFr = fc.bigInt({ min: 0n, max: CURVE_ORDER - 1n });

function combine(lsss: Lsss, rows: number[], coeffs: bigint[]): bigint[] {
  const width = lsss.M[0].length;
  const acc = Array.from({ length: width }, () => 0n);
  rows.forEach((x, i) => lsss.M[x].forEach((m, j) => (acc[j] = Fr.add(acc[j], Fr.mul(coeffs[i], m)))));
  return acc;
}

function subsets<T>(items: T[]): T[][] {
  return Array.from({ length: 1 << items.length }, (_, mask) => items.filter((_, i) => mask & (1 << i)));
}

// ---------------------------------------------------------------------------------------------
// Parser

describe("parsePolicy", () => {
  it("parses AND/OR with AND binding tighter", () => {
    expect(parsePolicy("HA1.a AND HA1.b OR HA2.c AND HA2.d")).toEqual(or(and(attr("HA1.a"), attr("HA1.b")), and(attr("HA2.c"), attr("HA2.d"))));
    expect(parsePolicy("HA1.cardiology AND (HA1.researcher OR HA2.oncology)")).toEqual(
      and(attr("HA1.cardiology"), or(attr("HA1.researcher"), attr("HA2.oncology"))),
    );
  });

  it("accepts any keyword case, free whitespace, and flattens same-kind gates", () => {
    expect(parsePolicy("  (HA1.a)and(HA1.b)  aNd\n\tHA1.c ")).toEqual(and(attr("HA1.a"), attr("HA1.b"), attr("HA1.c")));
    expect(parsePolicy("(HA1.a OR HA1.b) or (HA1.c Or HA1.a)")).toEqual(or(attr("HA1.a"), attr("HA1.b"), attr("HA1.c"), attr("HA1.a")));
    expect(parsePolicy("((HA1.a))")).toEqual(attr("HA1.a"));
  });

  it("parses thresholds whose children are sub-policies", () => {
    expect(parsePolicy("2 OF (HA1.a, HA1.b AND HA1.c, 1 of (HA2.x))")).toEqual(th(2, attr("HA1.a"), and(attr("HA1.b"), attr("HA1.c")), th(1, attr("HA2.x"))));
    expect(parsePolicy("2of(HA1.a,HA1.b) AND HA3.z")).toEqual(and(th(2, attr("HA1.a"), attr("HA1.b")), attr("HA3.z")));
  });

  it("keeps names case-sensitive and allows digits, _ and -", () => {
    expect(parsePolicy("HA1.Cardiology OR HA1.cardiology")).toEqual(or(attr("HA1.Cardiology"), attr("HA1.cardiology")));
    expect(parsePolicy("Inst_2-b.data-scientist_1")).toEqual(attr("Inst_2-b.data-scientist_1"));
    // A keyword-looking authority is still an attribute because of the dot.
    expect(parsePolicy("AND.or AND OR.and")).toEqual(and(attr("AND.or"), attr("OR.and")));
  });

  const bad: [string, PolicyError["code"], number, RegExp][] = [
    ["", "POLICY_EMPTY", 0, /empty/],
    ["   ", "POLICY_EMPTY", 0, /empty/],
    ["HA1.cardiology AND", "POLICY_SYNTAX", 18, /expected an attribute like HA1\.cardiology at position 19/],
    ["HA1.cardiology AND (HA1.researcher OR HA2.oncology", "POLICY_SYNTAX", 50, /expected "\)" to close the "\(" at position 20/],
    ["HA1.a && HA1.b", "POLICY_SYNTAX", 6, /unexpected character "&" at position 7; write AND/],
    ["HA1.a | HA1.b", "POLICY_SYNTAX", 6, /write OR/],
    ["cardiology", "POLICY_SYNTAX", 0, /not a full attribute name/],
    ["HA1.a AND HA1..b", "POLICY_SYNTAX", 10, /not a valid attribute name/],
    ["HA1.a AND HA1.b.c", "POLICY_SYNTAX", 10, /not a valid attribute name/],
    ["HA1.a AND OR HA1.b", "POLICY_SYNTAX", 10, /found the keyword "OR"/],
    ["HA1.a HA1.b", "POLICY_SYNTAX", 6, /expected AND, OR or the end of the policy at position 7/],
    ["HA1.a)", "POLICY_SYNTAX", 5, /unmatched "\)" at position 6/],
    ["()", "POLICY_SYNTAX", 1, /expected an attribute/],
    ["4 of (HA1.a, HA1.b, HA1.c)", "POLICY_THRESHOLD", 0, /threshold 4 of 3 at position 1 is impossible/],
    ["HA1.x AND 0 of (HA1.a)", "POLICY_THRESHOLD", 10, /at least 1/],
    ["99999999999 of (HA1.a)", "POLICY_THRESHOLD", 0, /impossible/],
    ["2 (HA1.a, HA1.b)", "POLICY_SYNTAX", 2, /expected "of" after the number 2/],
    ["2 of HA1.a, HA1.b", "POLICY_SYNTAX", 5, /expected "\(" with a comma-separated list/],
    ["2 of (HA1.a, HA1.b,)", "POLICY_SYNTAX", 19, /expected an attribute/],
    ["HA1.a, HA1.b", "POLICY_SYNTAX", 5, /expected AND, OR/],
    ["é.a", "POLICY_SYNTAX", 0, /unexpected character/],
  ];
  it.each(bad)("rejects %j with %s at %d", (text, code, position, message) => {
    const e = policyError(() => parsePolicy(text));
    expect(e.code).toBe(code);
    expect(e.position).toBe(position);
    expect(e.message).toMatch(message);
  });

  it("bounds length, depth and leaf count", () => {
    const deep = "(".repeat(POLICY_LIMITS.maxDepth + 1) + "HA1.a" + ")".repeat(POLICY_LIMITS.maxDepth + 1);
    expect(policyError(() => parsePolicy(deep)).code).toBe("POLICY_TOO_LARGE");
    const wide = Array.from({ length: POLICY_LIMITS.maxLeaves + 1 }, (_, i) => `H.a${i}`).join(" OR ");
    expect(policyError(() => parsePolicy(wide)).code).toBe("POLICY_TOO_LARGE");
    expect(policyError(() => parsePolicy("H.a OR ".repeat(1000) + "H.a")).code).toBe("POLICY_TOO_LARGE");
    const okWide = Array.from({ length: POLICY_LIMITS.maxLeaves }, (_, i) => `H.a${i}`).join(" OR ");
    expect(policyLeaves(parsePolicy(okWide))).toHaveLength(POLICY_LIMITS.maxLeaves);
  });

  it("never throws anything but PolicyError on arbitrary text", () => {
    const alphabet = fc.constantFrom(..."HA1.a_-b (),ANDORof 23\t&é".split(""));
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: alphabet, maxLength: 60 })), (text) => {
        try {
          parsePolicy(text);
        } catch (e) {
          expect(e).toBeInstanceOf(PolicyError);
          const p = (e as PolicyError).position;
          expect(p >= 0 && p <= text.length).toBe(true);
        }
      }),
      { numRuns: 3000 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Trees given by code

describe("assertPolicyNode / resolvePolicy", () => {
  it("rejects malformed trees with POLICY_INVALID or POLICY_THRESHOLD", () => {
    expect(policyError(() => assertPolicyNode(attr("nodot"))).code).toBe("POLICY_INVALID");
    expect(policyError(() => assertPolicyNode(and())).code).toBe("POLICY_INVALID");
    expect(policyError(() => assertPolicyNode({ kind: "xor", children: [attr("H.a")] })).code).toBe("POLICY_INVALID");
    expect(policyError(() => assertPolicyNode(th(0, attr("H.a")))).code).toBe("POLICY_THRESHOLD");
    expect(policyError(() => assertPolicyNode(th(1.5, attr("H.a"), attr("H.b")))).code).toBe("POLICY_THRESHOLD");
    expect(policyError(() => assertPolicyNode(th(3, attr("H.a"), attr("H.b")))).message).toMatch(/3 of 2 is impossible/);
    expect(policyError(() => assertPolicyNode(null)).code).toBe("POLICY_INVALID");
    const cyclic: { kind: "and"; children: PolicyNode[] } = { kind: "and", children: [] };
    cyclic.children.push(cyclic);
    expect(policyError(() => assertPolicyNode(cyclic)).code).toBe("POLICY_TOO_LARGE");
  });

  it("normalizes trees: single-child gates vanish, nested same-kind gates flatten", () => {
    expect(resolvePolicy(and(attr("H.a")))).toEqual(attr("H.a"));
    expect(resolvePolicy(and(and(attr("H.a"), attr("H.b")), or(attr("H.c")), attr("H.d")))).toEqual(and(attr("H.a"), attr("H.b"), attr("H.c"), attr("H.d")));
  });
});

// ---------------------------------------------------------------------------------------------
// Text and reading

describe("formatPolicy / describePolicy / policyAttributes", () => {
  const p = parsePolicy("ha1.x and (HA1.r or HA2.o) and 2 of (HA1.a, HA1.b and HA1.c, HA1.x) or HA3.z");

  it("formats canonically", () => {
    expect(formatPolicy(p)).toBe("(ha1.x AND (HA1.r OR HA2.o) AND 2 of (HA1.a, HA1.b AND HA1.c, HA1.x)) OR HA3.z");
    expect(formatPolicy(th(2, or(attr("H.a"), attr("H.b")), attr("H.c")))).toBe("2 of (H.a OR H.b, H.c)");
  });

  it("reads in plain language", () => {
    expect(describePolicy(parsePolicy("HA1.cardiology AND (HA1.researcher OR HA2.oncology)"))).toBe(
      "holders of HA1.cardiology and (HA1.researcher or HA2.oncology)",
    );
    expect(describePolicy(parsePolicy("2 of (HA1.a, HA1.b, HA2.c) AND HA1.d"))).toBe("holders of at least 2 of (HA1.a, HA1.b, HA2.c) and HA1.d");
    expect(describePolicy(parsePolicy("1 of (H.a, H.b) OR 2 of (H.c, H.d)"))).toBe("holders of any of (H.a, H.b) or all of (H.c, H.d)");
  });

  it("lists distinct attributes in order of appearance", () => {
    // Names are case-sensitive: ha1.x and HA1.x are two attributes.
    expect(policyAttributes(p)).toEqual(["ha1.x", "HA1.r", "HA2.o", "HA1.a", "HA1.b", "HA1.c", "HA1.x", "HA3.z"]);
    expect(policyAttributes(parsePolicy("H.a OR H.b AND H.a"))).toEqual(["H.a", "H.b"]);
    expect(policyLeaves(p)).toEqual(["ha1.x", "HA1.r", "HA2.o", "HA1.a", "HA1.b", "HA1.c", "HA1.x", "HA3.z"]);
  });

  it("round-trips: parse(format(x)) equals the normal form of x", () => {
    fc.assert(
      fc.property(policyArb(), (x) => {
        const text = formatPolicy(x);
        const parsed = parsePolicy(text);
        expect(parsed).toEqual(normalizePolicy(x));
        expect(formatPolicy(parsed)).toBe(text);
      }),
      { numRuns: 3000 },
    );
  });

  it("parses noisy renderings (case, spacing, redundant parentheses) to the same tree", () => {
    fc.assert(
      fc.property(
        policyArb().chain((x) => noisyTextArb(x).map((text) => ({ x, text }))),
        ({ x, text }) => {
          expect(parsePolicy(text)).toEqual(normalizePolicy(x));
        },
      ),
      { numRuns: 2000 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Satisfaction and explanations

describe("satisfies / explainMissing", () => {
  const p = parsePolicy("HA1.cardiology AND (HA1.researcher OR HA2.oncology) AND 2 of (HA1.a, HA1.b, HA1.c)");

  it("checks satisfaction", () => {
    expect(satisfies(p, ["HA1.cardiology", "HA2.oncology", "HA1.a", "HA1.c"])).toBe(true);
    expect(satisfies(p, ["HA1.cardiology", "HA2.oncology", "HA1.a"])).toBe(false);
    expect(satisfies(p, new Set(["HA1.cardiology", "HA1.researcher", "HA1.b", "HA1.c", "X.y"]))).toBe(true);
  });

  it("names what is missing", () => {
    expect(explainMissing(p, ["HA1.cardiology", "HA2.oncology", "HA1.a"])).toEqual(["HA1.b"]);
    expect(explainMissing(p, [])).toEqual(["HA1.cardiology", "HA1.researcher", "HA1.a", "HA1.b"]);
    expect(explainMissing(p, ["HA1.cardiology", "HA2.oncology", "HA1.a", "HA1.c"])).toEqual([]);
    // Repeated attributes: the tree answer takes H.b and H.c, the exact search finds H.a.
    expect(explainMissing(parsePolicy("(H.b OR H.a) AND (H.c OR H.a)"), [])).toEqual(["H.a"]);
    const rep2 = parsePolicy("2 of (H.x AND H.y, H.x AND H.z, H.w)");
    expect(explainMissing(rep2, ["H.y", "H.z"])).toEqual(["H.x"]);
  });

  it("gives a smallest completing set (brute force on small policies)", () => {
    fc.assert(
      fc.property(policyArb(), fc.subarray(POOL), (x, held) => {
        const missing = explainMissing(x, held);
        expect(missing.every((a) => !held.includes(a))).toBe(true);
        expect(satisfies(x, [...held, ...missing])).toBe(true);
        const candidates = policyAttributes(x).filter((a) => !held.includes(a));
        const best = Math.min(
          ...subsets(candidates)
            .filter((s) => satisfies(x, [...held, ...s]))
            .map((s) => s.length),
        );
        expect(missing.length).toBe(best);
      }),
      { numRuns: 2000 },
    );
  });

  it("stays inclusion-minimal on large policies", () => {
    const big = parsePolicy(
      Array.from({ length: 12 }, (_, i) => `(H.a${i} AND H.b${i % 5} AND 2 of (H.c${i % 7}, H.d${i % 3}, H.e${i}))`).join(" OR ") +
        " AND " +
        Array.from({ length: 30 }, (_, i) => `H.f${i}`).join(" AND "),
    );
    const held = ["H.b1", "H.c3", "H.f0", "H.f7"];
    const missing = explainMissing(big, held);
    expect(satisfies(big, [...held, ...missing])).toBe(true);
    for (const a of missing) expect(satisfies(big, [...held, ...missing.filter((b) => b !== a)])).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
// LSSS

describe("compileLsss / reconstruct", () => {
  it("follows Lewko-Waters for AND/OR", () => {
    const { M, rho } = compileLsss("HA1.a AND (HA1.b OR HA2.c)");
    const m1 = CURVE_ORDER - 1n;
    expect(rho).toEqual(["HA1.a", "HA1.b", "HA2.c"]);
    expect(M).toEqual([
      [1n, 1n],
      [0n, m1],
      [0n, m1],
    ]);
    expect(compileLsss("HA1.a OR HA1.b").M).toEqual([[1n], [1n]]);
    expect(compileLsss("HA1.a").M).toEqual([[1n]]);
  });

  it("uses Shamir rows for k-of-n thresholds", () => {
    const { M } = compileLsss("2 of (H.a, H.b, H.c)");
    expect(M).toEqual([
      [1n, 1n],
      [1n, 2n],
      [1n, 3n],
    ]);
    expect(compileLsss("3 of (H.a, H.b, H.c, H.d)").M[3]).toEqual([1n, 4n, 16n]);
  });

  it("reconstructs with few rows and the right coefficients", () => {
    const lsss = compileLsss("(H.a AND H.b AND H.c) OR H.d OR 2 of (H.e, H.f, H.g)");
    expect(reconstruct(lsss, ["H.a", "H.b", "H.c", "H.d"])).toEqual({ rows: [3], coeffs: [1n] });
    const r = reconstruct(lsss, ["H.e", "H.g", "H.a"])!;
    expect(r.rows).toEqual([4, 6]);
    expect(combine(lsss, r.rows, r.coeffs)).toEqual([1n, 0n, 0n, 0n]);
    expect(reconstruct(lsss, ["H.a", "H.b", "H.e"])).toBeNull();
  });

  it("LSSS property: reconstruct != null iff satisfies, and then sum c_x lambda_x = s", () => {
    fc.assert(
      fc.property(policyArb(), fc.subarray(POOL), fc.array(randomFr, { minLength: 20, maxLength: 20 }), (x, held, v) => {
        const lsss = compileLsss(x);
        const width = lsss.M[0].length;
        expect(lsss.M.every((row) => row.length === width && row.every((m) => m >= 0n && m < CURVE_ORDER))).toBe(true);
        expect(lsss.rho).toEqual(policyLeaves(x));
        const rec = reconstruct(lsss, held);
        expect(rec !== null).toBe(satisfies(x, held));
        if (rec === null) return;
        expect(rec.rows.every((row) => held.includes(lsss.rho[row]))).toBe(true);
        expect(combine(lsss, rec.rows, rec.coeffs)).toEqual([1n, ...Array(width - 1).fill(0n)]);
        const vec = v.slice(0, width).concat(Array(Math.max(0, width - v.length)).fill(1n));
        const lambda = lsssShares(lsss, vec);
        const s = rec.rows.reduce((acc, row, i) => Fr.add(acc, Fr.mul(rec.coeffs[i], lambda[row])), 0n);
        expect(s).toBe(vec[0]);
      }),
      { numRuns: 5000 },
    );
  });

  it("Gaussian elimination agrees: unauthorized row sets do not span (1,0,...,0)", () => {
    fc.assert(
      fc.property(policyArb(POOL, 5), fc.subarray(POOL), (x, held) => {
        const compiled = compileLsss(x);
        const bare: Lsss = { M: compiled.M, rho: compiled.rho };
        const rec = reconstruct(bare, held);
        expect(rec !== null).toBe(satisfies(x, held));
        if (rec === null) return;
        expect(combine(bare, rec.rows, rec.coeffs)).toEqual([1n, ...Array(bare.M[0].length - 1).fill(0n)]);
        expect(reconstruct(compiled, held)!.rows.length).toBeLessThanOrEqual(rec.rows.length);
      }),
      { numRuns: 3000 },
    );
  });
});
