/**
 * The blind clustering protocol on CKKS ciphertexts (issue #14; docs/design/blind-clustering.md,
 * "The algorithm" and "The protocol, as built"): the CSP computes every per-record value of
 * lib/hopcm/blind.ts under encryption; the key holder decrypts only
 *   - masked values (a uniform mask 2^30 times wider than the value's bound, drawn by the CSP) to
 *     re-encrypt them at the top level (refresh) or to sum them (aggregates, seeding),
 *   - the sums, minus the masks' sums the CSP tells it: the aggregates blind.ts's controller uses,
 *   - at the end, per record, the signs of the differences between its distances to the final
 *     centers, in an order permuted per record by the CSP (labels: it returns the smallest).
 *
 * Parties: `BlindCsp` holds the feature ciphertexts, the evaluation keys and nothing that decrypts;
 * `BlindKeyHolder` holds the secret key and never sees a ciphertext of a record unmasked. The
 * controller (blind.ts `runBlind`) runs at the key holder over `encryptedBlindBackend`, which is
 * the wire between them: in this process here, one message per call.
 *
 * Model: semi-honest and non-colluding. Not yet (the design's later steps): the CSP computing the
 * centers itself, threshold decryption and the refresh check against a malicious key holder. Any
 * number of records: blocks of N / 2, the key holder adding their sums.
 */
import type { BlindBackend, StepScales } from "../../blind";
import { geometricOrder } from "../../blind";
import type { CipherText, PlainText } from "../params";
import { CkksArith } from "./arith";
import { geometricInverseEncrypted } from "./geometric";
import type { PolyTools } from "./poly";

/** Masks are this many bits wider than the value they hide (statistical distance 2^-30 per value). */
export const MASK_BITS = 30;
/** Rounds of x <- (3x - x^3) / 2 in the labels' comparisons: |x| >= 1.5e-4 ends within 0.01 of sign(x). */
export const SIGN_ROUNDS = 24;
/** Every fresh encryption's scale. */
const SCALE = 2 ** 40;

/** Fills with the platform's CSPRNG (Web Crypto: at most 64 KiB per call). */
function randomFill(words: Uint32Array) {
  for (let at = 0; at < words.length; at += 16384) globalThis.crypto.getRandomValues(words.subarray(at, at + 16384));
  return words;
}

/** Uniform reals in [-bound, bound] from the platform's CSPRNG. */
function uniformMasks(length: number, bound: number): Float64Array {
  const words = randomFill(new Uint32Array(length));
  return Float64Array.from(words, (u) => (u / 2 ** 32) * 2 * bound - bound);
}

/** Bytes of a ciphertext as SEAL serialises it uncompressed: size x N x primes x 8. */
function bytesOf(ct: CipherText, N: number) {
  return ct.size * N * ct.coeffModulusSize * 8;
}

export interface KeyHolderTools {
  encoder: PolyTools["encoder"];
  /** Encryption at the top level; the key holder's is under its secret key (SEAL encryptSymmetric). */
  encrypt(pt: PlainText): CipherText;
  decryptor: { decrypt(ct: CipherText): PlainText | void };
}

/** The key holder: decrypts masked values, sums and re-encrypts them; keeps a record of what it saw. */
export class BlindKeyHolder {
  /** Every slot vector it decrypted (records' slots only), when `record` is set: the attack test's input. */
  readonly seen: Array<{ kind: "refresh" | "sum" | "labels"; values: Float64Array }> = [];
  ms = 0;

  constructor(
    private readonly tools: KeyHolderTools,
    private readonly record = false,
  ) {}

  /** Decrypts; `records`: how many leading slots hold records (public: the block's size). */
  private open(ct: CipherText, kind: "refresh" | "sum" | "labels", records: number): Float64Array {
    const pt = this.tools.decryptor.decrypt(ct)!;
    const values = this.tools.encoder.decode(pt) as Float64Array;
    pt.delete();
    if (this.record) this.seen.push({ kind, values: values.slice(0, records) });
    return values;
  }
  private sumOf(ct: CipherText, records: number) {
    const values = this.open(ct, "sum", records);
    let sum = 0;
    for (let j = 0; j < records; j++) sum += values[j];
    return sum;
  }
  private encrypt(values: Float64Array): CipherText {
    const pt = this.tools.encoder.encode(values, SCALE)!;
    const ct = this.tools.encrypt(pt);
    pt.delete();
    return ct;
  }
  private timed<T>(work: () => T): T {
    const started = performance.now();
    try {
      return work();
    } finally {
      this.ms += performance.now() - started;
    }
  }

  /** Masked values back at the top level, freshly encrypted. */
  refresh(masked: CipherText[], records: number): CipherText[] {
    return this.timed(() => masked.map((ct) => this.encrypt(this.open(ct, "refresh", records))));
  }
  /** Sums over the records' slots of masked ciphertexts (`records[q]` of ciphertext q), minus the masks' sums: aggregates. */
  sums(masked: CipherText[], maskSums: Float64Array, records: number[]): Float64Array {
    return this.timed(() => Float64Array.from(masked, (ct, q) => this.sumOf(ct, records[q]) - maskSums[q]));
  }
  /** The sum of each masked ciphertext's record slots, encrypted in every slot (the mask's sum stays in it). */
  broadcastSums(masked: CipherText[], records: number[]): CipherText[] {
    return this.timed(() => masked.map((ct, q) => this.encrypt(new Float64Array(this.tools.encoder.slotCount).fill(this.sumOf(ct, records[q])))));
  }
  /** Values of its own (centers, scales), each encrypted in every slot. */
  broadcast(values: ArrayLike<number>): CipherText[] {
    return this.timed(() => Array.from(values, (v) => this.encrypt(new Float64Array(this.tools.encoder.slotCount).fill(v))));
  }
  /**
   * Per record, the smallest of k values from the signs of their pairwise differences (pairs
   * a < b in order): the position whose differences to the others are the most negative.
   */
  smallestFromSigns(signs: CipherText[], k: number, records: number): Int32Array {
    return this.timed(() => {
      const opened = signs.map((ct) => this.open(ct, "labels", records));
      return Int32Array.from({ length: records }, (_, j) => {
        const score = new Float64Array(k);
        let q = 0;
        for (let a = 0; a < k; a++)
          for (let b = a + 1; b < k; b++) {
            score[a] += opened[q][j];
            score[b] -= opened[q][j];
            q++;
          }
        let best = 0;
        for (let c = 1; c < k; c++) if (score[c] < score[best]) best = c;
        return best;
      });
    });
  }
}

/**
 * What one step's weights need from the key holder: its scales encrypted in every slot (fuzzy term
 * cr = 1 / (s (1 + Tr)), ar = 1 / (1 + Tr); in the possibilistic phase per cluster
 * ct_i = b / (eta_i (1 + Tt_i)), at_i = 1 / (1 + Tt_i)), the series' orders `q` (public: the CSP must
 * know how many steps to take), and the algorithm's public constants a, b and m.
 */
export interface AggregateStep {
  fuzzy: { cr: CipherText; ar: CipherText };
  typical: { ct: CipherText[]; at: CipherText[] } | null;
  q: { r: number; R: number; t: number[] };
  a: number;
  b: number;
  m: 2 | 1.5;
}

export interface CspTools extends PolyTools {
  N: number;
}

/** Traffic between the parties, uncompressed SEAL serialisation. */
export interface BlindTraffic {
  toKeyHolder: number;
  toCsp: number;
  ciphertexts: number;
}

/**
 * The CSP's side: per-record work on ciphertexts. `blocks`: per block of N/2 records, one
 * ciphertext per feature, the block's records' clipped z-scores in its first slots (encrypted by
 * the hospitals at the top level, scale 2^40); record j is slot j mod N/2 of block j div N/2.
 */
export class BlindCsp {
  /** Per block, per cluster: the last distances. */
  private d2: CipherText[][] = [];
  /** Records per block, and the block being worked on (its size goes with every message). */
  private readonly counts: number[];
  private block = 0;
  /** Every ciphertext and plaintext of the current step: freed by `sweep`. */
  private readonly arith: CkksArith;
  readonly traffic: BlindTraffic = { toKeyHolder: 0, toCsp: 0, ciphertexts: 0 };

  /** The public bound of every squared distance: 4 p clip^2. */
  private readonly D: number;

  constructor(
    private readonly tools: CspTools,
    private readonly blocks: CipherText[][],
    readonly n: number,
    readonly k: number,
    private readonly clip: number,
    private readonly keyHolder: BlindKeyHolder,
  ) {
    const slots = tools.encoder.slotCount;
    if (blocks.length !== Math.ceil(n / slots)) throw new RangeError(`${n} records need ${Math.ceil(n / slots)} blocks of ${slots}, got ${blocks.length}`);
    this.counts = blocks.map((_, b) => Math.min(slots, n - b * slots));
    this.D = 4 * blocks[0].length * clip * clip;
    this.arith = new CkksArith(tools);
  }

  // --- the wire: every call to the key holder, counted ----------------------------------------
  private send<T>(out: CipherText[], call: () => T, back: (t: T) => CipherText[]): T {
    for (const ct of out) this.traffic.toKeyHolder += bytesOf(ct, this.tools.N);
    const result = call();
    for (const ct of back(result)) this.traffic.toCsp += bytesOf(ct, this.tools.N);
    this.traffic.ciphertexts += out.length + back(result).length;
    return result;
  }

  // --- arithmetic (lib/hopcm/encrypted/blind/arith.ts: exact scales, nothing of different scales added)
  private keep = (ct: CipherText) => this.arith.keep(ct);
  private plain = (values: Float64Array | number, scale: number, like: CipherText) => this.arith.plain(values, scale, like);
  private lastPrime = (ct: CipherText) => this.arith.lastPrime(ct);
  private mul = (a: CipherText, b: CipherText, relinearize = true) => this.arith.mul(a, b, relinearize);
  private scaled = (ct: CipherText, c: number | Float64Array, target: number, primes: number) => this.arith.scaled(ct, c, target, primes);
  /** ca x a + cb x b, both brought to the top scale one level below the lower of them. */
  private combine(a: CipherText, ca: number, b: CipherText, cb: number) {
    const primes = Math.min(a.coeffModulusSize, b.coeffModulusSize) - 1;
    const out = this.arith.fresh();
    this.tools.evaluator.add(this.scaled(a, ca, SCALE, primes), this.scaled(b, cb, SCALE, primes), out);
    return out;
  }
  /** Masked refresh: the values back at the top level; `bounds` bound their magnitudes. */
  private refresh = (cts: CipherText[], bounds: number[]): CipherText[] => {
    const { evaluator } = this.tools;
    const masks = cts.map((_, q) => uniformMasks(this.tools.encoder.slotCount, bounds[q] * 2 ** MASK_BITS));
    const masked = cts.map((ct, q) => {
      const out = this.arith.fresh();
      evaluator.addPlain(ct, this.plain(masks[q], ct.scale, ct), out);
      return out;
    });
    const fresh = this.send(
      masked,
      () => this.keyHolder.refresh(masked, this.counts[this.block]),
      (r) => r,
    );
    return fresh.map((ct, q) => {
      evaluator.subPlain(ct, this.plain(masks[q], ct.scale, ct), ct);
      return this.keep(ct);
    });
  };
  /** Levels for `depth` more products with two primes left for a refresh; refreshed if not. */
  private ready(ct: CipherText, depth: number, bound: number) {
    return ct.coeffModulusSize - depth >= 2 ? ct : this.refresh([ct], [bound])[0];
  }
  /** cts + masks over every slot, and the masks' sums over the records' slots (`records[q]` of ciphertext q). */
  private masked(cts: CipherText[], bounds: number[], records: number[]) {
    const maskSums = new Float64Array(cts.length);
    const out = cts.map((ct, q) => {
      const mask = uniformMasks(this.tools.encoder.slotCount, bounds[q] * 2 ** MASK_BITS);
      for (let j = 0; j < records[q]; j++) maskSums[q] += mask[j];
      const m = this.arith.fresh();
      this.tools.evaluator.addPlain(ct, this.plain(mask, ct.scale, ct), m);
      return m;
    });
    return { out, maskSums, records };
  }
  /** ct at the top scale, times c, one level down (refreshed first if that would leave too few primes). */
  private times(ct: CipherText, c: number, bound: number) {
    const x = this.ready(ct, 1, bound);
    return this.scaled(x, c, SCALE, x.coeffModulusSize - 1);
  }
  private square(ct: CipherText, bound: number) {
    const x = this.ready(ct, 1, bound);
    return this.mul(x, x);
  }

  // --- the protocol's steps ---------------------------------------------------------------------
  /** Centers as broadcast ciphertexts (k x p) from seed records: each picked by a one-hot product, masked in its slot, summed and re-encrypted in every slot by the key holder, unmasked. */
  centersFromSeeds(seeds: number[]): CipherText[] {
    const { evaluator, encoder } = this.tools;
    const slots = encoder.slotCount;
    const picked: CipherText[] = [];
    const masks: number[] = [];
    const records: number[] = [];
    for (const record of seeds)
      for (const x of this.blocks[Math.floor(record / slots)]) {
        const index = record % slots;
        const onehot = new Float64Array(slots);
        onehot[index] = 1;
        const sel = this.arith.fresh();
        evaluator.multiplyPlain(x, this.plain(onehot, this.lastPrime(x), x), sel);
        evaluator.rescaleToNext(sel, sel); // x's scale exactly, one level down
        const mask = uniformMasks(1, this.clip * 2 ** MASK_BITS)[0];
        const only = new Float64Array(encoder.slotCount);
        only[index] = mask;
        evaluator.addPlain(sel, this.plain(only, sel.scale, sel), sel);
        picked.push(sel);
        masks.push(mask);
        records.push(this.counts[Math.floor(record / slots)]);
      }
    const sums = this.send(
      picked,
      () => this.keyHolder.broadcastSums(picked, records),
      (r) => r,
    );
    return sums.map((ct, q) => {
      evaluator.subPlain(ct, this.plain(masks[q], ct.scale, ct), ct);
      return this.keep(ct);
    });
  }

  /** d2_i = sum_l (x_l - v_il)^2 for broadcast centers (k x p); returns them masked, for their sums. */
  distances(centers: CipherText[]) {
    const { evaluator, relinKeys, seal } = this.tools;
    this.d2 = this.blocks.map((features) =>
      Array.from({ length: this.k }, (_, i) => {
        const p = features.length;
        const acc = this.arith.fresh();
        const diff = seal.CipherText();
        const sq = seal.CipherText();
        for (let l = 0; l < p; l++) {
          evaluator.sub(features[l], centers[i * p + l], diff);
          evaluator.square(diff, sq);
          if (l === 0) acc.copy(sq);
          else evaluator.add(acc, sq, acc);
        }
        evaluator.relinearize(acc, relinKeys, acc);
        evaluator.rescaleToNext(acc, acc);
        diff.delete();
        sq.delete();
        return acc;
      }),
    );
    const all = this.d2.flat();
    return this.masked(
      all,
      all.map(() => this.D),
      this.d2.flatMap((perCluster, b) => perCluster.map(() => this.counts[b])),
    );
  }

  /**
   * This step's weights and their masked aggregates per block and cluster [sum w x_l (p), sum w, sum w d2].
   */
  aggregate(step: AggregateStep) {
    const products: CipherText[] = [];
    const bounds: number[] = [];
    const records: number[] = [];
    for (this.block = 0; this.block < this.blocks.length; this.block++) {
      const block = this.aggregateBlock(this.blocks[this.block], this.d2[this.block], step);
      products.push(...block.products);
      bounds.push(...block.bounds);
      records.push(...block.products.map(() => this.counts[this.block]));
    }
    this.block = 0;
    return this.masked(products, bounds, records);
  }

  /** One block's weights and the products to sum, per cluster [w x_l (p), w, w d2]. */
  private aggregateBlock(features: CipherText[], d2s: CipherText[], { fuzzy, typical, q, a, b, m }: AggregateStep) {
    const { evaluator } = this.tools;
    const k = this.k;
    /** 1 / (1 + x) for x = d2 c: the geometric inverse of z = d2 c + a0, times a0 (blind.ts inv1p). */
    const inv1p = (d2: CipherText, c: CipherText, a0: CipherText, order: number) => {
      const prod = this.mul(this.ready(d2, 1, this.D), c);
      const z = this.arith.fresh();
      evaluator.add(prod, this.scaled(a0, 1, prod.scale, prod.coeffModulusSize), z);
      const g = this.keep(geometricInverseEncrypted(this.tools, z, order, this.refresh).ct);
      return this.mul(this.ready(g, 1, 2 ** order), a0);
    };
    const r = d2s.map((d2) => {
      const r1 = inv1p(d2, fuzzy.cr, fuzzy.ar, q.r);
      return m === 1.5 ? this.square(r1, 1) : r1; // FCM's m = 1.5: memberships proportional to r^2
    });
    // R = sum_c r_c (r^2 at m = 1.5): the same operations on every cluster, so the same scale and level
    const R = this.arith.fresh();
    R.copy(r[0]);
    for (let i = 1; i < k; i++) evaluator.add(R, r[i], R);
    const gR = this.keep(geometricInverseEncrypted(this.tools, this.times(R, 1 / k, k), q.R, this.refresh).ct);
    const invR = this.times(gR, 1 / k, 2 ** q.R);
    const weights = r.map((ri, i) => {
      const u = this.mul(this.ready(ri, 1, 1), this.ready(invR, 1, 2 ** q.R));
      const u2 = this.square(u, 1);
      if (!typical) return this.times(u2, a, 1);
      const t2 = this.square(inv1p(d2s[i], typical.ct[i], typical.at[i], q.t[i]), 1);
      return this.combine(this.ready(u2, 1, 1), a, this.ready(t2, 1, 1), b);
    });
    // the aggregates: w x_l, w, w d2 (no relinearisation: the key holder decrypts three-part ciphertexts)
    const products: CipherText[] = [];
    const bounds: number[] = [];
    weights.forEach((w0, i) => {
      const w = this.ready(w0, 1, a + b);
      for (const x of features) {
        products.push(this.mul(w, x, false));
        bounds.push((a + b) * this.clip);
      }
      products.push(this.scaled(w, 1, SCALE, w.coeffModulusSize - 1));
      bounds.push(a + b);
      products.push(this.mul(w, this.ready(d2s[i], 1, this.D), false));
      bounds.push((a + b) * this.D);
    });
    return { products, bounds };
  }

  /**
   * Each record's nearest center among the last distances. Per record j the CSP permutes the k
   * clusters (pi_j, its secret), and for every pair a < b of permuted positions computes
   * sign(d2_pi(a) - d2_pi(b)) under encryption: x = (d2_pi(a) - d2_pi(b)) / D in [-1, 1], then
   * x <- (3x - x^3) / 2 `SIGN_ROUNDS` times (depth 2 each; x = 1.5e-4 reaches 0.99). The key holder
   * decrypts values near +-1 that say how a random order of the record's clusters compares, finds
   * the smallest position and returns it; the CSP maps it back through pi_j. Near-ties (|x| below
   * ~1e-5) come out between -1 and 1: the key holder learns that such a record is within ~0.01 D
   * of equidistant, nothing else of it.
   */
  nearest(): Int32Array {
    const labels = new Int32Array(this.n);
    const slots = this.tools.encoder.slotCount;
    for (this.block = 0; this.block < this.blocks.length; this.block++)
      labels.set(this.nearestInBlock(this.d2[this.block], this.counts[this.block]), this.block * slots);
    this.block = 0;
    return labels;
  }

  private nearestInBlock(d2s: CipherText[], count: number): Int32Array {
    const k = this.k;
    const slots = this.tools.encoder.slotCount;
    const { evaluator } = this.tools;
    const perm = Array.from({ length: count }, () => {
      const order = Array.from({ length: k }, (_, i) => i);
      const r = randomFill(new Uint32Array(k));
      for (let i = k - 1; i > 0; i--) {
        const s = r[i] % (i + 1);
        [order[i], order[s]] = [order[s], order[i]];
      }
      return order;
    });
    // P_c = d2_pi(c) / D, slot by slot
    const P = Array.from({ length: k }, (_, c) => {
      let acc: CipherText | null = null;
      for (let i = 0; i < k; i++) {
        const sel = Float64Array.from({ length: slots }, (_, j) => (j < count && perm[j][c] === i ? 1 / this.D : 0));
        const term = this.scaled(d2s[i], sel, SCALE, d2s[i].coeffModulusSize - 1);
        if (acc) evaluator.add(acc, term, acc);
        else acc = term;
      }
      return acc!;
    });
    const signs: CipherText[] = [];
    for (let a = 0; a < k; a++)
      for (let b = a + 1; b < k; b++) {
        let x = this.arith.fresh();
        evaluator.sub(P[a], P[b], x);
        for (let round = 0; round < SIGN_ROUNDS; round++) {
          x = this.ready(x, 2, 1);
          const x2 = this.mul(x, x);
          const three = this.arith.fresh();
          evaluator.negate(x2, three);
          evaluator.addPlain(three, this.plain(3, three.scale, three), three);
          x = this.mul(x, three);
          x.setScale(x.scale * 2); // the division by 2, exactly: the same coefficients read at twice the scale
        }
        signs.push(x);
      }
    const smallest = this.send(
      signs,
      () => this.keyHolder.smallestFromSigns(signs, k, count),
      () => [],
    );
    return Int32Array.from(smallest, (c, j) => perm[j][c]);
  }

  /** Sends masked ciphertexts for aggregation and returns what the key holder computes from them. */
  sumsAtKeyHolder({ out, maskSums, records }: { out: CipherText[]; maskSums: Float64Array; records: number[] }): Float64Array {
    return this.send(
      out,
      () => this.keyHolder.sums(out, maskSums, records),
      () => [],
    );
  }
  broadcastFromKeyHolder(values: ArrayLike<number>): CipherText[] {
    const cts = this.send(
      [],
      () => this.keyHolder.broadcast(values),
      (r) => r,
    );
    for (const ct of cts) this.keep(ct);
    return cts;
  }

  /** Frees everything this party made. */
  dispose() {
    this.d2 = [];
    this.arith.free();
  }

  /** Frees every ciphertext and plaintext made since the last call but the distances. */
  sweep() {
    this.arith.free(this.d2.flat());
  }
}

/**
 * The wire as the key holder's controller sees it: `runBlind(encryptedBlindBackend(csp), options)`.
 * It turns the controller's plaintext centers and scales into the key holder's encryptions and
 * the CSP's masked answers into aggregates; the CSP sees neither.
 */
export function encryptedBlindBackend(csp: BlindCsp, p: number): BlindBackend {
  let centers: CipherText[] = [];
  return {
    n: csp.n,
    p,
    k: csp.k,
    distances(from) {
      csp.sweep();
      centers = "seeds" in from ? csp.centersFromSeeds(from.seeds) : csp.broadcastFromKeyHolder(from.values);
      const sums = csp.sumsAtKeyHolder(csp.distances(centers));
      return sums.reduce((s, x) => s + x, 0) / (csp.k * csp.n);
    },
    aggregate({ s, eta, a, b, D, m }: StepScales) {
      const Tr = D / s;
      const fuzzy = csp.broadcastFromKeyHolder([1 / (s * (1 + Tr)), 1 / (1 + Tr)]);
      const Tt = eta ? Array.from(eta, (e) => (b * D) / e) : [];
      const poss = eta ? csp.broadcastFromKeyHolder([...Tt.map((T, i) => b / (eta[i] * (1 + T))), ...Tt.map((T) => 1 / (1 + T))]) : null;
      const orders = { r: geometricOrder(1 + Tr), R: geometricOrder(csp.k * 64), t: Tt.map((T) => geometricOrder(1 + T)) };
      const masked = csp.aggregate({
        fuzzy: { cr: fuzzy[0], ar: fuzzy[1] },
        typical: poss ? { ct: poss.slice(0, csp.k), at: poss.slice(csp.k) } : null,
        q: orders,
        a,
        b,
        m,
      });
      // per block k x (p + 2) sums, added up across blocks
      const perBlock = csp.sumsAtKeyHolder(masked);
      const sums = new Float64Array(csp.k * (p + 2));
      perBlock.forEach((x, q) => (sums[q % sums.length] += x));
      return sums;
    },
    nearest() {
      return csp.nearest();
    },
  };
}
