/**
 * CKKS arithmetic for the blind protocol's steps, with exact scales and ownership: every
 * ciphertext and plaintext it makes is freed by `free` (SEAL objects live in the WebAssembly heap,
 * which a whole run exhausts if they are left to the garbage collector).
 *
 * Scales are never relabelled: a product's scale is its factors' over the dropped prime, and
 * `scaled` lands a ciphertext on a chosen scale exactly by a plaintext constant encoded at
 * (dropped prime x target / scale).
 */
import type { CipherText, PlainText } from "../params";
import type { PolyTools } from "./poly";

export class CkksArith {
  /** Ciphertext products made (each relinearised unless asked otherwise, and rescaled). */
  products = 0;
  private made: CipherText[] = [];
  private plains: PlainText[] = [];

  constructor(readonly tools: PolyTools) {}

  /** A new ciphertext owned by this object. */
  fresh(): CipherText {
    return this.keep(this.tools.seal.CipherText());
  }
  /** Takes ownership of `ct`. */
  keep(ct: CipherText): CipherText {
    this.made.push(ct);
    return ct;
  }
  /** `values` (or a constant in every slot) encoded at `scale`, at `like`'s level. */
  plain(values: number | Float64Array, scale: number, like: CipherText): PlainText {
    const { encoder, evaluator } = this.tools;
    const v = typeof values === "number" ? new Float64Array(encoder.slotCount).fill(values) : values;
    const pt = encoder.encode(v, scale)!;
    evaluator.plainModSwitchTo(pt, like.parmsId, pt);
    this.plains.push(pt);
    return pt;
  }
  lastPrime(ct: CipherText): number {
    const primes = this.tools.context.getContextData(ct.parmsId).parms.coeffModulus;
    return Number(primes[primes.length - 1]);
  }
  /** `ct` at `primes` primes: itself if already there, else a copy switched down. */
  down(ct: CipherText, primes: number): CipherText {
    if (ct.coeffModulusSize === primes) return ct;
    const out = this.fresh();
    out.copy(ct);
    while (out.coeffModulusSize > primes) this.tools.evaluator.cipherModSwitchToNext(out, out);
    return out;
  }
  /** a * b at the lower of their levels, relinearised (unless `relinearize` is false: the key holder can decrypt three parts) and rescaled. */
  mul(a: CipherText, b: CipherText, relinearize = true): CipherText {
    const { evaluator, relinKeys } = this.tools;
    const primes = Math.min(a.coeffModulusSize, b.coeffModulusSize);
    const out = this.fresh();
    evaluator.multiply(this.down(a, primes), this.down(b, primes), out);
    if (relinearize) evaluator.relinearize(out, relinKeys, out);
    evaluator.rescaleToNext(out, out);
    this.products++;
    return out;
  }
  /** c x ct (c a constant or one value per slot) at scale `target` exactly, at `primes` primes (at least one level below ct). */
  scaled(ct: CipherText, c: number | Float64Array, target: number, primes = ct.coeffModulusSize - 1): CipherText {
    const from = this.down(ct, primes + 1);
    const out = this.fresh();
    this.tools.evaluator.multiplyPlain(from, this.plain(c, (this.lastPrime(from) * target) / from.scale, from), out);
    this.tools.evaluator.rescaleToNext(out, out);
    return out;
  }
  /** Frees every plaintext, and every ciphertext except those in `keep`. */
  free(keep: Iterable<CipherText> = []): void {
    for (const pt of this.plains) pt.delete();
    this.plains = [];
    const live = new Set(keep);
    this.made = this.made.filter((ct) => {
      if (live.has(ct)) return true;
      ct.delete();
      return false;
    });
  }
}
