import { describe, expect, it } from "vitest";
import { parsePolicy, formatPolicy } from "@/lib/abe";
import { addAttribute, flatGate, joinAttributes, removeAttribute } from "./policy-edit";

const add = (text: string, attr: string, gate: "AND" | "OR" | "THRESHOLD" = "AND", k = 2) =>
  addAttribute(text, text.trim() ? parsePolicy(text) : null, attr, gate, k);

describe("policy chips edit the typed policy", () => {
  it("keeps a nested typed policy and ANDs the new attribute (issue #17 item 5)", () => {
    const typed = "HA1.researcher AND (HA1.cardiology OR HA1.oncology)";
    const next = add(typed, "HA1.hospital");
    expect(next).toBe("HA1.researcher AND (HA1.cardiology OR HA1.oncology) AND HA1.hospital");
    expect(formatPolicy(parsePolicy(next))).toBe(next);
  });

  it("parenthesises a top-level OR before ANDing", () => {
    const next = add("HA1.a AND HA1.b OR HA1.c", "HA1.d");
    expect(next).toBe("(HA1.a AND HA1.b OR HA1.c) AND HA1.d");
    expect(parsePolicy(next)).toEqual({ kind: "and", children: [parsePolicy("HA1.a AND HA1.b OR HA1.c"), { kind: "attr", name: "HA1.d" }] });
  });

  it("grows a flat policy within its own gate and never adds an attribute twice", () => {
    expect(add("", "HA1.a")).toBe("HA1.a");
    expect(add("HA1.a", "HA1.b", "OR")).toBe("HA1.a OR HA1.b");
    expect(add("HA1.a OR HA1.b", "HA1.c")).toBe("HA1.a OR HA1.b OR HA1.c");
    expect(add("2 of (HA1.a, HA1.b, HA1.c)", "HA1.d")).toBe("2 of (HA1.a, HA1.b, HA1.c, HA1.d)");
    expect(add("HA1.a AND HA1.b", "HA1.a")).toBe("HA1.a AND HA1.b");
  });

  it("removes every occurrence and collapses gates left with one child", () => {
    const typed = parsePolicy("HA1.researcher AND (HA1.cardiology OR HA1.oncology)");
    expect(removeAttribute(typed, "HA1.researcher")).toBe("HA1.cardiology OR HA1.oncology");
    expect(removeAttribute(typed, "HA1.oncology")).toBe("HA1.researcher AND HA1.cardiology");
    expect(removeAttribute(parsePolicy("HA1.a"), "HA1.a")).toBe("");
    expect(removeAttribute(parsePolicy("3 of (HA1.a, HA1.b, HA1.c)"), "HA1.c")).toBe("2 of (HA1.a, HA1.b)");
    expect(removeAttribute(parsePolicy("(HA1.a OR HA1.b) AND (HA1.a OR HA1.c)"), "HA1.a")).toBe("HA1.b AND HA1.c");
  });

  it("tells flat policies from nested ones", () => {
    expect(flatGate(parsePolicy("HA1.a"))).toEqual({ gate: null, k: 1, attributes: ["HA1.a"] });
    expect(flatGate(parsePolicy("HA1.a OR HA1.b"))).toEqual({ gate: "OR", k: 1, attributes: ["HA1.a", "HA1.b"] });
    expect(flatGate(parsePolicy("2 of (HA1.a, HA1.b, HA1.c)"))?.gate).toBe("THRESHOLD");
    expect(flatGate(parsePolicy("HA1.a AND (HA1.b OR HA1.c)"))).toBeNull();
    expect(joinAttributes(["HA1.a", "HA1.b"], "THRESHOLD", 5)).toBe("2 of (HA1.a, HA1.b)");
  });
});
