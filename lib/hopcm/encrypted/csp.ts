/**
 * CSP side: computes on ciphertexts with the public evaluation keys only. Nothing here can
 * decrypt: the evaluator object holds the context, relinearisation and Galois keys, and
 * `createCspEvaluator` refuses anything that carries a secret key or a decryptor.
 *
 * Per iteration (k clusters, p features, one block of <= slots records):
 *   distances:      k*p squares (x_l - v_il)^2 summed over l, one relinearisation + rescale per cluster;
 *   weighted sums:  k*P products in the class layout (layout.ts, eq. Y), k*B relinearisations,
 *                   k*(B - 1 + log2(slots/P)) rotations, k rescales; result: one ciphertext per cluster.
 * Seeding (k-means++, rare): select a record with an encrypted one-hot vector, rotate-and-sum
 * it into a broadcast center, then distances as above.
 */
import type { GaloisKeys } from "node-seal/implementation/galois-keys";
import type { RelinKeys } from "node-seal/implementation/relin-keys";
import { classLayout, classMask, rotationPlan, type ClassLayout } from "./layout";
import type { CspEvalKeys, EncCenters, EncDistances, EncScales, EncSelector, EncSums, EncWeights, EncryptedFeatures } from "./messages";
import { expectCiphertext, LEVEL, type Ckks, type CipherText, type PlainText } from "./params";

export interface CspEvaluator {
  readonly ckks: Ckks;
  readonly relinKeys: RelinKeys;
  readonly galoisKeys: GaloisKeys;
  readonly steps: ReadonlySet<number>;
  /** Class masks by class count (precomputation cache): top level at scale q2, and mid level at Delta. */
  readonly masks: Map<number, { top: PlainText[]; mid: PlainText[] }>;
}

export function createCspEvaluator(ckks: Ckks, keys: CspEvalKeys): CspEvaluator {
  const k = keys as unknown as Record<string, unknown>;
  for (const forbidden of ["secretKey", "decryptor", "exportSecretKey", "decryptDistances", "decryptSums"])
    if (forbidden in k) throw new TypeError(`the CSP must not receive a ${forbidden}`);
  if (keys.paramsId !== ckks.id) throw new RangeError("evaluation keys were made under other CKKS parameters");
  const relinKeys = ckks.seal.RelinKeys();
  relinKeys.loadArray(ckks.context, keys.relinKeys);
  const galoisKeys = ckks.seal.GaloisKeys();
  galoisKeys.loadArray(ckks.context, keys.galoisKeys);
  return { ckks, relinKeys, galoisKeys, steps: new Set(keys.rotationSteps), masks: new Map() };
}

/** Ciphertexts the CSP keeps per upload, derived once from the stored feature blocks. */
export interface CspDataset {
  n: number;
  p: number;
  layout: ClassLayout;
  /** top[b][l]: the stored ciphertexts (top level), for seeding. */
  top: CipherText[][];
  /** mid[b][l]: the same switched to the mid level, for distances. */
  mid: CipherText[][];
  /** classed[b][bb*giant + g]: A_{bb,g} of layout.ts eq. A (mid level, scale Delta). */
  classed: CipherText[][];
}

/** rot(ct, r) with the available Galois keys (composed from powers of two if needed). */
export function rotate(csp: CspEvaluator, ct: CipherText, r: number): CipherText {
  const { evaluator, slots } = csp.ckks;
  let out: CipherText | null = null;
  for (const s of rotationPlan(r, slots, csp.steps)) {
    const next: CipherText = evaluator.rotateVector(out ?? ct, s, csp.galoisKeys)!;
    out?.delete();
    out = next;
  }
  return out ?? ct.clone();
}

function masksFor(csp: CspEvaluator, classes: number): { top: PlainText[]; mid: PlainText[] } {
  let m = csp.masks.get(classes);
  if (!m) {
    const { ckks } = csp;
    const top: PlainText[] = [];
    const mid: PlainText[] = [];
    for (let c = 0; c < classes; c++) {
      const mask = classMask(ckks.slots, classes, c);
      top.push(ckks.encodeAt(mask, ckks.q2, LEVEL.top));
      mid.push(ckks.encodeAt(mask, ckks.featureScale, LEVEL.mid));
    }
    m = { top, mid };
    csp.masks.set(classes, m);
  }
  return m;
}

/**
 * Loads an upload's feature blocks and builds the mid-level and class-layout copies (once per
 * upload). Eq. A is computed as A_{b,g} = rot(M_{b+B*g}, B*g) with M_s = sum_l mask_{(l+s) mod P} * x_l
 * (rot(mask_m, -r) = mask_{m+r}): P rotations per block instead of p*(G-1), done before the
 * rescale so that their key-switching noise is divided by q2.
 */
export function cspPrepare(csp: CspEvaluator, features: EncryptedFeatures): CspDataset {
  const { ckks } = csp;
  const { evaluator } = ckks;
  if (features.paramsId !== ckks.id || features.slots !== ckks.slots) throw new RangeError("feature blocks were encrypted under other CKKS parameters");
  const { n, p } = features;
  const layout = classLayout(p, ckks.slots);
  const { classes, baby, giant } = layout;
  const masks = masksFor(csp, classes);
  const top: CipherText[][] = [];
  const mid: CipherText[][] = [];
  const classed: CipherText[][] = [];
  for (const row of features.blocks) {
    if (row.length !== p) throw new RangeError(`a block has ${row.length} feature ciphertexts, expected ${p}`);
    const x = row.map((bytes) => {
      const ct = ckks.loadCiphertext(bytes);
      expectCiphertext(ct, LEVEL.top, ckks.featureScale, "feature block");
      return ct;
    });
    top.push(x);
    mid.push(x.map((ct) => evaluator.cipherModSwitchToNext(ct)!));
    const A: CipherText[] = new Array(classes);
    for (let bb = 0; bb < baby; bb++)
      for (let g = 0; g < giant; g++) {
        const shift = bb + baby * g;
        let M: CipherText | null = null; // M_shift, top level, scale Delta * q2
        for (let l = 0; l < p; l++) {
          const term = evaluator.multiplyPlain(x[l], masks.top[(l + shift) % classes])!;
          if (M) {
            evaluator.add(M, term, M);
            term.delete();
          } else M = term;
        }
        const a = g === 0 ? M! : rotate(csp, M!, baby * g);
        if (a !== M) M!.delete();
        evaluator.rescaleToNext(a, a); // scale Delta * q2 / q2 = Delta, mid level
        evaluator.addPlain(a, masks.mid[(p + bb) % classes], a); // column of ones -> weight total
        A[bb * giant + g] = a;
      }
    classed.push(A);
  }
  return { n, p, layout, top, mid, classed };
}

/**
 * Puts an upload's distance copies in other units: mid[b][l] = a_l * x_l (ciphertext product,
 * relinearised, rescaled: top, Delta x q2 -> mid, Delta: the same level and scale as the plain
 * mod switch `cspPrepare` does, so distances cost nothing more). The class layout used for
 * weighted sums is left in the upload's units: the key holder maps sums back in plaintext.
 */
export function cspScaleFeatures(csp: CspEvaluator, data: CspDataset, scales: EncScales): void {
  const { evaluator, q2 } = csp.ckks;
  if (scales.p !== data.p || scales.cts.length !== data.p) throw new RangeError(`scales: expected ${data.p} ciphertexts`);
  for (const ct of scales.cts) expectCiphertext(ct, LEVEL.top, q2, "scales");
  data.top.forEach((x, b) => {
    for (let l = 0; l < data.p; l++) {
      const y = evaluator.multiply(x[l], scales.cts[l])!;
      evaluator.relinearize(y, csp.relinKeys, y);
      evaluator.rescaleToNext(y, y); // Delta * q2 / q2 = Delta, mid level
      data.mid[b][l].delete();
      data.mid[b][l] = y;
    }
  });
}

/** Centers shifted by encrypted constants (both mid level, scale Delta): a + b, per ciphertext. */
export function cspAddCenters(csp: CspEvaluator, a: EncCenters, b: EncCenters): EncCenters {
  if (a.k !== b.k || a.p !== b.p || a.cts.length !== b.cts.length) throw new RangeError("centers: shapes differ");
  for (const ct of [...a.cts, ...b.cts]) expectCiphertext(ct, LEVEL.mid, csp.ckks.featureScale, "centers");
  return { kind: "centers", k: a.k, p: a.p, cts: a.cts.map((ct, i) => csp.ckks.evaluator.add(ct, b.cts[i])!) };
}

export function disposeCspEvaluator(csp: CspEvaluator): void {
  for (const m of csp.masks.values()) for (const pt of [...m.top, ...m.mid]) pt.delete();
  csp.masks.clear();
  csp.relinKeys.delete();
  csp.galoisKeys.delete();
}

export function disposeDataset(data: CspDataset): void {
  for (const group of [data.top, data.mid, data.classed]) for (const row of group) for (const ct of row) ct.delete();
}

/** Encrypted d2 of every record to every center: sum_l (x_l - v_il)^2, relinearised and rescaled. */
export function cspDistances(csp: CspEvaluator, data: CspDataset, centers: EncCenters): EncDistances {
  const { evaluator, featureScale } = csp.ckks;
  const { p, mid } = data;
  if (centers.p !== p || centers.cts.length !== centers.k * p) throw new RangeError(`centers: expected ${centers.k} x ${p} ciphertexts`);
  for (const ct of centers.cts) expectCiphertext(ct, LEVEL.mid, featureScale, "centers");
  const cts: CipherText[] = [];
  const diff = csp.ckks.seal.CipherText();
  const sq = csp.ckks.seal.CipherText();
  for (let i = 0; i < centers.k; i++)
    for (const x of mid) {
      let acc: CipherText | null = null;
      for (let l = 0; l < p; l++) {
        evaluator.sub(x[l], centers.cts[i * p + l], diff);
        if (acc) {
          evaluator.square(diff, sq);
          evaluator.add(acc, sq, acc);
        } else acc = evaluator.square(diff)!;
      }
      evaluator.relinearize(acc!, csp.relinKeys, acc!);
      evaluator.rescaleToNext(acc!, acc!);
      cts.push(acc!);
    }
  diff.delete();
  sq.delete();
  return { kind: "distances", k: centers.k, blocks: mid.length, cts };
}

/**
 * Encrypted aggregates sum_j w'_ij x_jl and sum_j w'_ij, summed over every record (layout.ts
 * eq. Y). All rotations happen before the single rescale, at scale Delta*q1: key-switching
 * noise is then divided by q1 (rotating after the rescale adds ~2e-9 per rotation at scale
 * Delta, ~1e-8 on the sums after the class sum), and relinearising before rescaling matters
 * even more (rescaling a size-3 ciphertext first: ~3e-8 per product).
 */
export function cspWeightedSums(csp: CspEvaluator, data: CspDataset, weights: EncWeights): EncSums {
  const { evaluator, slots, q1 } = csp.ckks;
  const { classes, baby, giant } = data.layout;
  const blocks = data.classed.length;
  if (weights.blocks !== blocks || weights.giant !== giant || weights.cts.length !== weights.k * blocks * giant)
    throw new RangeError(`weights: expected ${weights.k} x ${blocks} x ${giant} ciphertexts`);
  for (const ct of weights.cts) expectCiphertext(ct, LEVEL.mid, q1, "weights");
  const cts: CipherText[] = [];
  const prod = csp.ckks.seal.CipherText();
  for (let i = 0; i < weights.k; i++) {
    let y: CipherText | null = null;
    for (let bb = 0; bb < baby; bb++) {
      let inner: CipherText | null = null;
      for (let b = 0; b < blocks; b++)
        for (let g = 0; g < giant; g++) {
          const w = weights.cts[(i * blocks + b) * giant + g];
          const a = data.classed[b][bb * giant + g];
          if (inner) {
            evaluator.multiply(a, w, prod);
            evaluator.add(inner, prod, inner);
          } else inner = evaluator.multiply(a, w)!;
        }
      evaluator.relinearize(inner!, csp.relinKeys, inner!);
      const term: CipherText = bb === 0 ? inner! : rotate(csp, inner!, bb);
      if (term !== inner) inner!.delete();
      if (y) {
        evaluator.add(y, term, y);
        term.delete();
      } else y = term;
    }
    // Sum each class over the block: rotations by classes, 2*classes, ..., slots/2.
    for (let s = classes; s < slots; s *= 2) {
      const r = rotate(csp, y!, s);
      evaluator.add(y!, r, y!);
      r.delete();
    }
    evaluator.rescaleToNext(y!, y!); // Delta * q1 / q1 = Delta, bottom level
    cts.push(y!);
  }
  prod.delete();
  return { kind: "sums", k: weights.k, p: data.p, classes, cts };
}

/**
 * The selected record's features, each broadcast to every slot (mid level, scale Delta): an
 * encrypted center the CSP can use in `cspDistances` without learning which record it is.
 */
export function cspSelectPoint(csp: CspEvaluator, data: CspDataset, selector: EncSelector): EncCenters {
  const { evaluator, slots, q2 } = csp.ckks;
  if (selector.blocks !== data.top.length) throw new RangeError(`selector: expected ${data.top.length} blocks`);
  const perColumn = selector.columns !== undefined;
  if (perColumn && selector.columns !== data.p) throw new RangeError(`selector: ${selector.columns} columns, expected ${data.p}`);
  if (selector.cts.length !== data.top.length * (perColumn ? data.p : 1)) throw new RangeError("selector: wrong number of ciphertexts");
  for (const ct of selector.cts) expectCiphertext(ct, LEVEL.top, q2, "selector");
  const sel = (b: number, l: number) => selector.cts[perColumn ? b * data.p + l : b];
  const cts: CipherText[] = [];
  const prod = csp.ckks.seal.CipherText();
  for (let l = 0; l < data.p; l++) {
    let acc: CipherText | null = null;
    data.top.forEach((x, b) => {
      if (acc) {
        evaluator.multiply(x[l], sel(b, l), prod);
        evaluator.add(acc, prod, acc);
      } else acc = evaluator.multiply(x[l], sel(b, l))!;
    });
    evaluator.relinearize(acc!, csp.relinKeys, acc!); // before rescaling (see cspWeightedSums)
    evaluator.rescaleToNext(acc!, acc!); // Delta * q2 / q2 = Delta, mid level
    for (let s = 1; s < slots; s *= 2) {
      const r = rotate(csp, acc!, s);
      evaluator.add(acc!, r, acc!);
      r.delete();
    }
    cts.push(acc!);
  }
  prod.delete();
  return { kind: "centers", k: 1, p: data.p, cts };
}
