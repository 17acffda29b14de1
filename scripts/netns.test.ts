import { describe, expect, it } from "vitest";
import { runId, topology } from "./netns";

describe("split-hosts topology", () => {
  it("names fit Linux's 15-character interface names, even for the largest pid", () => {
    const t = topology(runId(4_194_304), 249);
    for (const name of [t.auth.link.toRoot, t.auth.link.toCsp, t.csp.link.toRoot, t.csp.link.toAuth, `ms${t.id}ra`, `ms${t.id}rc`])
      expect(name.length).toBeLessThanOrEqual(15);
    expect(parseInt(t.id.slice(0, -2), 36)).toBe(4_194_304);
  });

  it("gives each link its own /30, so the CSP's link to the authority is not the root namespace's", () => {
    const t = topology("abc12", 7);
    const net = (a: string) => `${a.split(".").slice(0, 3).join(".")}.${Number(a.split(".")[3]) & ~3}`;
    expect(net(t.root.toAuth)).toBe(net(t.auth.toRoot));
    expect(net(t.root.toCsp)).toBe(net(t.csp.toRoot));
    expect(net(t.auth.toCsp)).toBe(net(t.csp.toAuth));
    expect(new Set([net(t.root.toAuth), net(t.root.toCsp), net(t.auth.toCsp)]).size).toBe(3);
  });
});
