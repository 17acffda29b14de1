/**
 * Modular inversion with Lehmer's extended Euclid (Knuth, TAOCP vol. 2, Algorithm 4.5.2L).
 *
 * Plain BigInt Euclid on random 381-bit inputs needs ~220 steps, each a BigInt division and
 * several BigInt products (about 100 us on this machine). Lehmer simulates runs of ~25 steps on
 * the leading 50 bits in ordinary doubles (exact below 2^53) and applies each run with four
 * BigInt products, for the same result several times faster. Used where Jacobian results
 * become affine points (one inversion per batch of points).
 *
 * Exports: modInverse.
 */

const DIGIT_BITS = 50;
const DIGIT_LIMIT = 1n << BigInt(DIGIT_BITS);

function bitLength(x: bigint): number {
  return x === 0n ? 0 : x.toString(2).length;
}

/** floor(num / den) for 0 <= num, 0 < den < 2^52, exactly (division in doubles, then corrected). */
function idiv(num: number, den: number): number {
  let q = Math.floor(num / den);
  while (q * den > num) q--;
  while ((q + 1) * den <= num) q++;
  return q;
}

/** a^-1 mod m for gcd(a, m) = 1 (throws on a non-invertible input). */
export function modInverse(a: bigint, m: bigint): bigint {
  let u = m;
  let v = ((a % m) + m) % m;
  if (v === 0n) throw new Error("modInverse: zero has no inverse");
  // Invariant: u = U a, v = V a (mod m).
  let U = 0n;
  let V = 1n;
  while (v >= DIGIT_LIMIT) {
    const s = BigInt(Math.max(0, bitLength(u) - DIGIT_BITS));
    let x = Number(u >> s);
    let y = Number(v >> s);
    // Cosequence: (u', v') = (A u + B v, C u + D v).
    let A = 1;
    let B = 0;
    let C = 0;
    let D = 1;
    for (;;) {
      if (y + C <= 0 || y + D <= 0) break;
      const q = idiv(x + A, y + C);
      if (q !== idiv(x + B, y + D)) break;
      const tA = A - q * C;
      A = C;
      C = tA;
      const tB = B - q * D;
      B = D;
      D = tB;
      const tx = x - q * y;
      x = y;
      y = tx;
    }
    if (B === 0) {
      // The leading digits decided nothing: one full-precision step.
      const q = u / v;
      [u, v] = [v, u - q * v];
      [U, V] = [V, U - q * V];
    } else {
      const [bA, bB, bC, bD] = [BigInt(A), BigInt(B), BigInt(C), BigInt(D)];
      [u, v] = [bA * u + bB * v, bC * u + bD * v];
      [U, V] = [bA * U + bB * V, bC * U + bD * V];
    }
  }
  while (v !== 0n) {
    const q = u / v;
    [u, v] = [v, u - q * v];
    [U, V] = [V, U - q * V];
  }
  if (u !== 1n) throw new Error("modInverse: not invertible");
  const r = U % m;
  return r < 0n ? r + m : r;
}
