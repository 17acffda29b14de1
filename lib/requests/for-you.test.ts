import { describe, expect, it } from "vitest";
import { forYou, forYouAll } from "./for-you";

const policy = "HA1.researcher AND HA1.cardiology";
const v1 = { "HA1.researcher": 1, "HA1.cardiology": 1 };
const v2 = { "HA1.researcher": 1, "HA1.cardiology": 2 };

describe("forYou: /research's verdict from attributes, key versions and transform-key coverage", () => {
  const holder = { grants: { "HA1.researcher": 1, "HA1.cardiology": 2 }, keys: ["HA1.researcher@1", "HA1.cardiology@1", "HA1.cardiology@2"] };

  it("a holder of both versions, transform key covering both, opens old and new uploads", () => {
    const h = { ...holder, transformCovers: holder.keys };
    expect(forYou(policy, v1, h)).toEqual({ ok: true, missing: [], text: "your attributes satisfy it" });
    expect(forYou(policy, v2, h)).toEqual({ ok: true, missing: [], text: "your attributes satisfy it" });
  });

  it("a transform key still at version 1: the new upload opens once the browser adds v2, and says so with the link", () => {
    const h = { ...holder, transformCovers: ["HA1.researcher@1", "HA1.cardiology@1"] };
    expect(forYou(policy, v1, h).fix).toBeUndefined();
    expect(forYou(policy, v2, h)).toEqual({
      ok: true,
      missing: [],
      text: "your attributes satisfy it; your transform key gains HA1.cardiology v2 when you unlock your keys",
      fix: "Refresh your keys at /keys",
    });
  });

  it("the revoked person lacks the attribute for both uploads", () => {
    const h = { grants: { "HA1.researcher": 1 }, keys: ["HA1.researcher@1"], transformCovers: null };
    expect(forYou(policy, v1, h)).toMatchObject({ ok: false, text: "you lack HA1.cardiology", missing: ["HA1.cardiology"] });
    expect(forYou(policy, v2, h)).toMatchObject({ ok: false, text: "you lack HA1.cardiology" });
  });

  it("a holder granted after the rotation cannot read the old version until it is re-encrypted", () => {
    const h = {
      grants: { "HA1.researcher": 1, "HA1.cardiology": 2 },
      keys: ["HA1.researcher@1", "HA1.cardiology@2"],
      transformCovers: ["HA1.researcher@1", "HA1.cardiology@2"],
    };
    expect(forYou(policy, v1, h)).toMatchObject({
      ok: false,
      missing: ["HA1.cardiology"],
      text: expect.stringContaining("HA1.cardiology key version 1, which you do not hold"),
    });
    expect(forYou(policy, v2, h).ok).toBe(true);
  });

  it("no transform key, or no current-version key yet: says what to do at /keys", () => {
    expect(forYou(policy, v2, { ...holder, transformCovers: null })).toMatchObject({ ok: false, fix: "Create your transform key at /keys" });
    const noCurrent = { ...holder, keys: ["HA1.researcher@1", "HA1.cardiology@1"], transformCovers: null };
    expect(forYou(policy, v1, noCurrent)).toMatchObject({ ok: false, missing: ["HA1.cardiology"], fix: "Set up your keys at /keys" });
  });

  it("a cluster opens when every upload in it does", () => {
    const h = { ...holder, transformCovers: holder.keys };
    const late = { grants: holder.grants, keys: ["HA1.researcher@1", "HA1.cardiology@2"], transformCovers: ["HA1.researcher@1", "HA1.cardiology@2"] };
    expect(forYouAll([forYou(policy, v1, h), forYou(policy, v2, h)]).ok).toBe(true);
    expect(forYouAll([forYou(policy, v1, late), forYou(policy, v2, late)]).ok).toBe(false);
  });
});
