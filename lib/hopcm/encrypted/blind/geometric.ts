/**
 * The blind algorithm's inverse on a CKKS ciphertext (lib/hopcm/blind.ts `geometricInverse`):
 * for z in (0, 1] slot-wise, 1/z ~ prod_{i < q} (1 + e^(2^i)) with e = 1 - z, i.e. the geometric
 * series sum_{m < 2^q} e^m = (1 - e^(2^q)) / z. Step i squares e (one product) and multiplies the
 * running product by 1 + e^(2^i) (one product): 2(q - 1) products and q levels (the running product
 * is one level below e^(2^i)).
 * It never explodes on (0, 2): every partial product stays below 2^q.
 *
 * Scales are not kept at the input's: a product's scale is the product of its factors' scales
 * over the dropped prime, and no two ciphertexts of different scales are ever added (a constant
 * is encoded at its ciphertext's scale), so SEAL's tracked scale stays exact.
 *
 * The input needs q levels, or `refresh` (the protocol's masked refresh: ciphertexts and bounds of
 * their values in, the same values at the top level out), which is called whenever the next step
 * would leave fewer than two primes (a refresh decrypts under a mask and needs them).
 */
export type Refresh = (cts: CipherText[], bounds: number[]) => CipherText[];

import type { CipherText } from "../params";
import type { PolyCost, PolyTools } from "./poly";

export function geometricInverseEncrypted(
  tools: PolyTools,
  z: CipherText,
  q: number,
  refresh?: Refresh,
): { ct: CipherText; cost: PolyCost; refreshes: number } {
  const { seal, encoder, evaluator, relinKeys } = tools;
  if (!Number.isInteger(q) || q < 1) throw new RangeError(`q must be a positive integer, got ${q}`);
  const startLevel = z.coeffModulusSize;
  if (!refresh && startLevel - 1 < q)
    throw new RangeError(`a geometric inverse with q = ${q} needs ${q} levels; the ciphertext has ${startLevel - 1} left (refresh it first)`);
  const slots = encoder.slotCount;
  const made: CipherText[] = [];
  const cost: PolyCost = { products: 0, levels: 0 };
  const fresh = () => {
    const ct = seal.CipherText();
    made.push(ct);
    return ct;
  };
  /** ct + c, c encoded at ct's scale and level. */
  const plus = (ct: CipherText, c: number) => {
    const pt = encoder.encode(new Float64Array(slots).fill(c), ct.scale)!;
    evaluator.plainModSwitchTo(pt, ct.parmsId, pt);
    const out = fresh();
    evaluator.addPlain(ct, pt, out);
    pt.delete();
    return out;
  };
  const down = (ct: CipherText, level: number) => {
    if (ct.coeffModulusSize === level) return ct;
    const out = fresh();
    out.copy(ct);
    while (out.coeffModulusSize > level) evaluator.cipherModSwitchToNext(out, out);
    return out;
  };
  const mul = (a: CipherText, b: CipherText) => {
    const level = Math.min(a.coeffModulusSize, b.coeffModulusSize);
    const out = fresh();
    evaluator.multiply(down(a, level), down(b, level), out);
    evaluator.relinearize(out, relinKeys, out);
    evaluator.rescaleToNext(out, out);
    cost.products++;
    return out;
  };

  // e = 1 - z (a negation and a constant: no level)
  const negated = fresh();
  evaluator.negate(z, negated);
  let e = plus(negated, 1);
  let product = plus(e, 1); // 1 + e
  let refreshes = 0;
  for (let i = 1; i < q; i++) {
    // e^(2^i) lands one level below e, the running product one below that: both must keep two primes
    if (refresh && Math.min(product.coeffModulusSize, e.coeffModulusSize - 1) - 1 < 2) {
      [e, product] = refresh([e, product], [1, 2 ** i]); // the caller owns what its refresh returns
      refreshes++;
    }
    e = mul(e, e);
    product = mul(product, plus(e, 1));
  }
  cost.levels = refreshes ? q : startLevel - product.coeffModulusSize; // (with refreshes: the depth, q)
  const keep = seal.CipherText();
  keep.copy(product);
  for (const ct of made) ct.delete();
  return { ct: keep, cost, refreshes };
}
