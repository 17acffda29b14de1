// The blind algorithm's inverse (lib/hopcm/blind.ts geometricInverse) on a CKKS ciphertext at
// N = 16384: slot by slot against the float64 series, its levels and products, and its cost.
import { describe, expect, it } from "vitest";
import { geometricInverse } from "../../blind";
import { loadSealNode } from "../seal-node";
import { blindCkks } from "./context";
import { geometricInverseEncrypted } from "./geometric";

describe("the geometric inverse on a CKKS ciphertext (N = 16384)", () => {
  it("matches the float64 series for z in (0, 1], in q levels and 2(q - 1) products, and refuses a ciphertext without the levels", async () => {
    const seal = await loadSealNode();
    const { context, relinKeys, encoder, evaluator, encryptor, decryptor, dispose } = blindCkks(seal);
    const slots = encoder.slotCount;
    const q = 7; // the blind chain's 7 levels allow q <= 7 between refreshes
    const z = Float64Array.from({ length: slots }, (_, i) => (i === 0 ? 1 : i === 1 ? 1 / 512 : Math.max(1 / 512, ((i * 2654435761) % 2 ** 32) / 2 ** 32)));
    const x = encryptor.encrypt(encoder.encode(z, 2 ** 40)!)!;
    const tools = { seal, context, encoder, evaluator, relinKeys };
    const started = performance.now();
    const { ct, cost } = await geometricInverseEncrypted(tools, x, q);
    const ms = performance.now() - started;
    const out = encoder.decode(decryptor.decrypt(ct)!) as Float64Array;
    let worst = 0;
    for (let i = 0; i < slots; i++) worst = Math.max(worst, Math.abs(out[i] - geometricInverse(z[i], q)) / 2 ** q);
    console.log(
      `geometric inverse q = ${q} on ${slots} slots: ${ms.toFixed(0)} ms, ${cost.products} products, ${cost.levels} levels; max error ${worst.toExponential(2)} of 2^q`,
    );
    expect(cost).toEqual({ products: 2 * (q - 1), levels: q });
    expect(worst).toBeLessThan(1e-6);
    const low = x.clone();
    evaluator.cipherModSwitchToNext(low, low);
    await expect(geometricInverseEncrypted(tools, low, 7)).rejects.toThrow(/needs 7 levels; the ciphertext has 6 left/);
    for (const c of [low, ct, x]) c.delete();
    dispose();
  });
});
