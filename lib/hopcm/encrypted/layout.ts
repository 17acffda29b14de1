/**
 * Slot layouts of the encrypted protocol: pure index arithmetic on Float64Array, no SEAL.
 *
 * Upload layout (column-major blocks): records are cut into blocks of `slots` records; for
 * block b and feature l one ciphertext holds x_jl in slot j - b*slots (zeros after the last
 * record). Rotations are cyclic over the slots: rot(v, r)[t] = v[(t + r) mod slots].
 *
 * Class layout (weighted sums). Summing each of the k*p products w_i * x_l over all slots
 * would cost k*p*log2(slots) rotations (720 for k=3, p=20). Instead the CSP re-packs each block
 * once into P ciphertexts A_{b,g} (P = classes, a power of two > p, P = B*G), in which slot u
 * holds feature c = (u - b) mod P of record u + B*g:
 *
 *   A_{b,g} = sum_l mask_{(l+b) mod P} * rot(x_l, B*g)  +  mask_{(p+b) mod P}        (eq. A)
 *
 * (mask_m selects slots u = m mod P; the constant term is a column of ones, so the weight
 * total travels in class p). With W_g = rot(w, B*g), encrypted by the key holder,
 *
 *   Y = sum_b rot( sum_g A_{b,g} * W_g, b ),   Y[t] = sum_{s<P} x_c[t+s] w[t+s], c = t mod P   (eq. Y)
 *
 * and summing Y over its class (rotations by P, 2P, ..., slots/2) leaves in every slot of
 * class c the total sum_j w_j x_jc (c < p) or sum_j w_j (c = p). Per cluster: P products,
 * B rescales, B - 1 + log2(slots/P) rotations; per block once: p*(G-1) rotations.
 */

export interface Block {
  /** First record of the block. */
  start: number;
  /** Records in the block (<= slots). */
  size: number;
}

export function blocksOf(n: number, slots: number): Block[] {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`need at least one record, got n = ${n}`);
  const out: Block[] = [];
  for (let start = 0; start < n; start += slots) out.push({ start, size: Math.min(slots, n - start) });
  return out;
}

export interface ClassLayout {
  /** Features per record. */
  p: number;
  /** Classes P: the smallest power of two > p (class p carries the weight total). */
  classes: number;
  /** Baby steps B (rotations of products by 0..B-1) and giant steps G (key-holder weight copies); B*G = P. */
  baby: number;
  giant: number;
}

/**
 * Classes P = next power of two above p; baby steps B = 2^floor(log2(P)/2) by default. Per
 * cluster, B costs B relinearisations + B - 1 rotations at the CSP and G = P/B encryptions at
 * the key holder, which cost about the same, so B ~ sqrt(P), rounded down (P = 32: B = 4, G = 8).
 */
export function classLayout(p: number, slots: number, baby?: number): ClassLayout {
  if (!Number.isInteger(p) || p < 1) throw new RangeError(`need at least one feature, got p = ${p}`);
  let classes = 1;
  while (classes < p + 1) classes *= 2;
  if (classes > slots) throw new RangeError(`p = ${p} features need ${classes} classes, more than ${slots} slots`);
  const B = baby ?? 2 ** Math.floor(Math.log2(classes) / 2);
  if (!Number.isInteger(Math.log2(B)) || B > classes) throw new RangeError(`baby steps must be a power of two <= ${classes}, got ${B}`);
  return { p, classes, baby: B, giant: classes / B };
}

/** Column l of block `block` of row-major X (n x p), zero-padded to `slots`. */
export function featureColumn(X: Float64Array, p: number, l: number, block: Block, slots: number): Float64Array {
  const col = new Float64Array(slots);
  for (let t = 0; t < block.size; t++) col[t] = X[(block.start + t) * p + l];
  return col;
}

/** rot(v, r): left rotation, out[t] = v[(t + r) mod length]. */
export function rotateLeft(v: Float64Array, r: number): Float64Array {
  const T = v.length;
  const s = ((r % T) + T) % T;
  const out = new Float64Array(T);
  out.set(v.subarray(s), 0);
  out.set(v.subarray(0, s), T - s);
  return out;
}

/** mask_m: 1 in slots u with u mod P = m, else 0. */
export function classMask(slots: number, classes: number, m: number): Float64Array {
  const mask = new Float64Array(slots);
  for (let u = ((m % classes) + classes) % classes; u < slots; u += classes) mask[u] = 1;
  return mask;
}

/** Left-rotation amounts the protocol uses; the key holder makes Galois keys for these. */
export function rotationSteps(slots: number, maxBaby = 8): number[] {
  const steps = new Set<number>();
  for (let s = 1; s < slots; s *= 2) steps.add(s);
  for (let b = 1; b < maxBaby; b++) steps.add(b);
  return [...steps].sort((a, b) => a - b);
}

/** A rotation by r as a sequence of available steps (binary decomposition over powers of two). */
export function rotationPlan(r: number, slots: number, available: ReadonlySet<number>): number[] {
  const s = ((r % slots) + slots) % slots;
  if (s === 0) return [];
  if (available.has(s)) return [s];
  const plan: number[] = [];
  for (let bit = 1; bit < slots; bit *= 2) {
    if (!(s & bit)) continue;
    if (!available.has(bit)) throw new RangeError(`no Galois key for rotation step ${bit}`);
    plan.push(bit);
  }
  return plan;
}

/** Largest Euclidean record norm of row-major X (n x p); NaN if any value is not finite. */
export function maxRecordNorm(X: Float64Array, n: number, p: number): number {
  let worst = 0;
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let l = 0; l < p; l++) s += X[j * p + l] * X[j * p + l];
    if (!Number.isFinite(s)) return NaN;
    if (s > worst) worst = s;
  }
  return Math.sqrt(worst);
}
