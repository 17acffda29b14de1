/**
 * Chebyshev approximations for the blind clustering protocol (issue #14,
 * docs/design/blind-clustering.md): the typicality 1/(1 + t) and other per-record steps are
 * evaluated under CKKS as polynomials. This file is the plaintext side: the coefficients, the
 * same polynomial evaluated in float64 (the reference the encrypted evaluation must match), and
 * the split of a Chebyshev series by T_g that the baby-step giant-step evaluation uses.
 */

/** A series sum_i c[i] T_i(y) in y = (2x - (a + b)) / (b - a), valid for x in [a, b]. */
export interface ChebyshevSeries {
  a: number;
  b: number;
  c: Float64Array;
}

/** Interpolation of f at the `degree + 1` Chebyshev nodes of [a, b] (near-minimax for smooth f). */
export function chebyshevSeries(f: (x: number) => number, a: number, b: number, degree: number): ChebyshevSeries {
  const n = degree + 1;
  const values = Array.from({ length: n }, (_, k) => f(((b - a) / 2) * Math.cos((Math.PI * (k + 0.5)) / n) + (a + b) / 2));
  const c = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let k = 0; k < n; k++) s += values[k] * Math.cos((Math.PI * j * (k + 0.5)) / n);
    c[j] = ((j === 0 ? 1 : 2) / n) * s;
  }
  return { a, b, c };
}

/** The series at x (Clenshaw's recurrence). */
export function evalSeries(s: ChebyshevSeries, x: number): number {
  const y = (2 * x - (s.a + s.b)) / (s.b - s.a);
  let b1 = 0;
  let b2 = 0;
  for (let j = s.c.length - 1; j >= 1; j--) {
    const t = 2 * y * b1 - b2 + s.c[j];
    b2 = b1;
    b1 = t;
  }
  return y * b1 - b2 + s.c[0];
}

/**
 * p = q T_g + r for p = sum c_j T_j of degree < 2g: T_g T_i = (T_{g+i} + T_{|g-i|}) / 2 gives
 * q = c_g + sum_{j>g} 2 c_j T_{j-g} and r = sum_{j<g} c_j T_j - sum_{j>g} c_j T_{2g-j}.
 */
export function divideByT(c: Float64Array, g: number): { q: Float64Array; r: Float64Array } {
  if (c.length > 2 * g) throw new RangeError(`degree ${c.length - 1} too high to divide by T_${g}`);
  if (c.length <= g) return { q: new Float64Array(0), r: Float64Array.from(c) };
  const q = new Float64Array(c.length - g);
  const r = Float64Array.from(c.subarray(0, g));
  q[0] = c[g];
  for (let j = g + 1; j < c.length; j++) {
    q[j - g] = 2 * c[j];
    r[2 * g - j] -= c[j];
  }
  return { q, r };
}

/** Sum c_j T_j(y) directly (for checking divideByT). */
export function evalChebyshevBasis(c: Float64Array, y: number): number {
  let t0 = 1;
  let t1 = y;
  let s = c[0] ?? 0;
  for (let j = 1; j < c.length; j++) {
    s += c[j] * t1;
    [t0, t1] = [t1, 2 * y * t1 - t0];
  }
  return s;
}
