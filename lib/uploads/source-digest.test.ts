import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { sourceDigestSchema } from "@/lib/validation/upload";
import { sourceDigest } from "./source-digest";

const bytes = new TextEncoder().encode("id,age\n1,42\n");

describe("sourceDigest", () => {
  it("is SHA-256 over the tag, the organisation and the bytes, in the form the server accepts", async () => {
    const d = await sourceDigest("org-a", bytes);
    expect(d).toBe(createHash("sha256").update("medshare-source-file-v1|org-a|").update(bytes).digest("hex"));
    expect(sourceDigestSchema.safeParse(d).success).toBe(true);
  });

  it("differs between organisations and between files, and is stable", async () => {
    const a = await sourceDigest("org-a", bytes);
    expect(await sourceDigest("org-a", bytes)).toBe(a);
    expect(await sourceDigest("org-b", bytes)).not.toBe(a);
    expect(await sourceDigest("org-a", new TextEncoder().encode("id,age\n1,43\n"))).not.toBe(a);
  });
});
