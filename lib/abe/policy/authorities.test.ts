import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { attributeAuthority, authorityGroups, describeAuthorityGroups } from "./authorities";
import { parsePolicy } from "./syntax";
import { satisfies } from "./satisfy";

const groups = (policy: string) => authorityGroups(parsePolicy(policy));

describe("authorityGroups: which attribute authorities could together issue a satisfying key", () => {
  it("one authority for a policy over its attributes only", () => {
    expect(groups("HA1.researcher AND (HA1.cardiology OR HA1.oncology)")).toEqual([["HA1"]]);
  });

  it("both for an AND across two authorities, either for an OR", () => {
    expect(groups("HA1.researcher AND NRI.oncology")).toEqual([["HA1", "NRI"]]);
    expect(groups("HA1.researcher OR NRI.oncology")).toEqual([["HA1"], ["NRI"]]);
  });

  it("thresholds and nesting: the smallest groups, none containing another", () => {
    expect(groups("2 of (HA1.a, NRI.b, XYZ.c)")).toEqual([
      ["HA1", "NRI"],
      ["HA1", "XYZ"],
      ["NRI", "XYZ"],
    ]);
    expect(groups("(HA1.a AND NRI.b) OR HA1.c")).toEqual([["HA1"]]);
    expect(groups("2 of (HA1.a, HA1.b, NRI.c)")).toEqual([["HA1"]]);
  });

  it("says it in words", () => {
    expect(describeAuthorityGroups([["HA1"]])).toBe("HA1 alone");
    expect(describeAuthorityGroups([["HA1", "NRI"]])).toBe("HA1 and NRI together");
    expect(describeAuthorityGroups([["HA1"], ["NRI"]])).toBe("HA1 alone, or NRI alone");
    expect(describeAuthorityGroups([["A", "B", "C"]])).toBe("A, B and C together");
    expect(attributeAuthority("NRI.oncology")).toBe("NRI");
  });

  it("property: every group satisfies the policy, no proper subset of a group does, and no satisfying set is missed", () => {
    const names = ["A.x", "A.y", "B.x", "B.y", "C.x", "D.x"];
    const leaf = fc.constantFrom(...names);
    const policy = fc.letrec<{ p: string }>((tie) => ({
      p: fc.oneof(
        { depthSize: "small", withCrossShrink: true },
        leaf,
        fc.tuple(tie("p"), tie("p")).map(([a, b]) => `(${a} AND ${b})`),
        fc.tuple(tie("p"), tie("p")).map(([a, b]) => `(${a} OR ${b})`),
        fc.tuple(tie("p"), tie("p"), tie("p")).map(([a, b, c]) => `2 of (${a}, ${b}, ${c})`),
      ),
    })).p;
    fc.assert(
      fc.property(policy, (text) => {
        const node = parsePolicy(text);
        const held = (authorities: string[]) => names.filter((n) => authorities.includes(attributeAuthority(n)));
        const found = authorityGroups(node);
        expect(found.length).toBeGreaterThan(0);
        for (const g of found) {
          expect(satisfies(node, held(g))).toBe(true);
          for (const drop of g) expect(satisfies(node, held(g.filter((a) => a !== drop)))).toBe(false);
        }
        // and none is missed: every satisfying set of authorities contains one of the groups
        for (let mask = 0; mask < 16; mask++) {
          const set = ["A", "B", "C", "D"].filter((_, i) => mask & (1 << i));
          if (satisfies(node, held(set))) expect(found.some((g) => g.every((a) => set.includes(a)))).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });
});
