/**
 * Seeded pseudo-random numbers, so every clustering run is reproducible from its seed.
 * mulberry32: 32-bit state, period 2^32, fast and good enough for seeding and sampling
 * (not for cryptography).
 */

export type Rng = () => number;

/** mulberry32 (Tommy Ettinger): uniform doubles in [0, 1) from a 32-bit seed. */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal deviates (Box-Muller; the second deviate of each pair is cached). */
export function gaussian(rng: Rng): Rng {
  let spare = NaN;
  return () => {
    if (!Number.isNaN(spare)) {
      const s = spare;
      spare = NaN;
      return s;
    }
    let u = 0;
    while (u === 0) u = rng();
    const r = Math.sqrt(-2 * Math.log(u));
    const theta = 2 * Math.PI * rng();
    spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  };
}

/**
 * Index j drawn with probability weights[j] / sum(weights). Returns -1 when every weight is
 * zero (or the array is empty); negative and non-finite weights count as zero.
 */
export function sampleWeighted(weights: ArrayLike<number>, rng: Rng): number {
  let total = 0;
  for (let j = 0; j < weights.length; j++) {
    const w = weights[j];
    if (w > 0 && Number.isFinite(w)) total += w;
  }
  if (!(total > 0)) return -1;
  const target = rng() * total;
  let acc = 0;
  let last = -1;
  for (let j = 0; j < weights.length; j++) {
    const w = weights[j];
    if (!(w > 0 && Number.isFinite(w))) continue;
    acc += w;
    last = j;
    if (acc > target) return j;
  }
  return last; // rounding: target landed on the total
}

/** Fisher-Yates permutation of 0..n-1. */
export function permutation(n: number, rng: Rng): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const tmp = out[i];
    out[i] = out[j];
    out[j] = tmp;
  }
  return out;
}
