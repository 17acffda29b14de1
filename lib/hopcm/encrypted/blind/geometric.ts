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
import type { CipherText } from "../params";
import { CkksArith } from "./arith";
import type { PolyCost, PolyTools } from "./poly";

export type Refresh = (cts: CipherText[], bounds: number[]) => Promise<CipherText[]>;

export async function geometricInverseEncrypted(
  tools: PolyTools,
  z: CipherText,
  q: number,
  refresh?: Refresh,
): Promise<{ ct: CipherText; cost: PolyCost; refreshes: number }> {
  if (!Number.isInteger(q) || q < 1) throw new RangeError(`q must be a positive integer, got ${q}`);
  const startLevel = z.coeffModulusSize;
  if (!refresh && startLevel - 1 < q)
    throw new RangeError(`a geometric inverse with q = ${q} needs ${q} levels; the ciphertext has ${startLevel - 1} left (refresh it first)`);
  const { evaluator } = tools;
  const arith = new CkksArith(tools);
  /** ct + c, c encoded at ct's scale and level. */
  const plus = (ct: CipherText, c: number) => {
    const out = arith.fresh();
    evaluator.addPlain(ct, arith.plain(c, ct.scale, ct), out);
    return out;
  };

  // e = 1 - z (a negation and a constant: no level)
  const negated = arith.fresh();
  evaluator.negate(z, negated);
  let e = plus(negated, 1);
  let product = plus(e, 1); // 1 + e
  let refreshes = 0;
  for (let i = 1; i < q; i++) {
    // e^(2^i) lands one level below e, the running product one below that: both must keep two primes
    if (refresh && Math.min(product.coeffModulusSize, e.coeffModulusSize - 1) - 1 < 2) {
      [e, product] = await refresh([e, product], [1, 2 ** i]); // the caller owns what its refresh returns
      refreshes++;
    }
    e = arith.mul(e, e);
    product = arith.mul(product, plus(e, 1));
  }
  const cost: PolyCost = { products: arith.products, levels: refreshes ? q : startLevel - product.coeffModulusSize }; // (with refreshes: the depth, q)
  const keep = tools.seal.CipherText();
  keep.copy(product);
  arith.free();
  return { ct: keep, cost, refreshes };
}
