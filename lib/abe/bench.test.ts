import { describe, expect, it } from "vitest";
import { PAPER_TABLE_4_1_MS, runAbeBenchmark } from "./bench";

describe("benchmark module", () => {
  it("produces one row per N with every column, and reports progress", async () => {
    const seen: string[] = [];
    const { backend, rows } = await runAbeBenchmark({
      attributes: [2],
      repetitions: 1,
      referenceRepetitions: 1,
      warmupRounds: 0,
      signatures: false,
      onProgress: (p) => seen.push(p.label),
    });
    expect(backend).toBe("wasm");
    expect(rows).toHaveLength(1);
    const r = rows[0];
    expect(r.attributes).toBe(2);
    expect(r.paper_ms).toBe(PAPER_TABLE_4_1_MS[2]);
    for (const k of ["encrypt_ms", "user_decrypt_ms", "partial_decrypt_ms", "full_decrypt_ms", "reference_enc_plus_dec_ms"] as const)
      expect(r[k]).toBeGreaterThan(0);
    expect(r.enc_plus_user_dec_ms).toBeCloseTo(r.encrypt_ms + r.user_decrypt_ms, 1);
    expect(r.abs_sign_ms).toBeNull();
    expect(seen.length).toBeGreaterThan(2);
  });
});
