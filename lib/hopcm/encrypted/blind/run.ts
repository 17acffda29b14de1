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
 * `BlindKeyHolder` holds the secret key and never sees a ciphertext of a record unmasked. Between
 * them only bytes travel (SEAL's serialisation), through `KeyHolderWire`: the CSP's calls, awaited,
 * in one process or over HTTP. The controller (blind.ts `blindController`) runs at the key holder,
 * in its session (./session.ts), which the CSP's driver asks what to compute next.
 *
 * Model: semi-honest and non-colluding. Not yet (the design's later steps): the CSP computing the
 * centers itself, threshold decryption and the refresh check against a malicious key holder. Any
 * number of records: blocks of N / 2, the key holder adding their sums.
 */
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

/**
 * The key holder's calls as the CSP makes them, ciphertexts as SEAL's bytes: to its session in
 * this process (./session.ts `sessionWire`) or over HTTP (lib/parties/blind-client.ts). `records`:
 * how many leading slots hold records (the block's size, public).
 */
export interface KeyHolderWire {
  /** Masked values back at the top level, freshly encrypted. */
  refresh(masked: Uint8Array[], records: number): Promise<Uint8Array[]>;
  /** The sum of each masked ciphertext's record slots, encrypted in every slot. */
  broadcastSums(masked: Uint8Array[], records: number[]): Promise<Uint8Array[]>;
  /** Per record, the smallest of k permuted positions from the signs of their differences (once per run). */
  labels(signs: Uint8Array[], k: number, records: number): Promise<Int32Array>;
}

/** Masked ciphertexts for their sums at the key holder, and what the CSP tells it of the masks. */
export interface MaskedSums {
  out: Uint8Array[];
  /** Per ciphertext, the sum of its mask over the records' slots. */
  maskSums: number[];
  /** Per ciphertext, how many leading slots hold records. */
  records: number[];
}

/**
 * Records per block of an upload of n records: ceil(n / slots) blocks, as even as possible (4,097
 * records are 2,049 + 2,048, never 4,096 + 1: the key holder decrypts sums per block, and a block
 * of one record would be that record). The hospital packs by it; the CSP and the key holder count by it.
 */
export function blockCounts(n: number, slots: number): number[] {
  const blocks = Math.ceil(n / slots);
  return Array.from({ length: blocks }, (_, b) => Math.floor(n / blocks) + (b < n % blocks ? 1 : 0));
}

/** The fewest records a block may hold (a run's blocks are its uploads'; each upload has at least this many records). */
export const MIN_BLOCK_RECORDS = 10;

/** SEAL's serialisation (uncompressed) and its inverse, for one context. */
export function ciphertextBytes(tools: Pick<PolyTools, "seal" | "context">) {
  return {
    save: (ct: CipherText): Uint8Array => ct.saveArray(tools.seal.ComprModeType.none),
    load: (bytes: Uint8Array): CipherText => {
      const ct = tools.seal.CipherText();
      try {
        ct.loadArray(tools.context, bytes);
      } catch (error) {
        ct.delete();
        throw new RangeError(`not a ciphertext of these parameters (${(error as Error).message})`);
      }
      return ct;
    },
  };
}

export interface KeyHolderTools {
  encoder: PolyTools["encoder"];
  /**
   * Encryption at the top level, serialised: the key holder's is under its secret key and seeded
   * (SEAL encryptSymmetricSerializable: the second polynomial is sent as its seed, half the bytes).
   */
  encrypt(pt: PlainText): Uint8Array;
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
  private encrypt(values: Float64Array): Uint8Array {
    const pt = this.tools.encoder.encode(values, SCALE)!;
    try {
      return this.tools.encrypt(pt);
    } finally {
      pt.delete();
    }
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
  refresh(masked: CipherText[], records: number): Uint8Array[] {
    return this.timed(() => masked.map((ct) => this.encrypt(this.open(ct, "refresh", records))));
  }
  /** Sums over the records' slots of masked ciphertexts (`records[q]` of ciphertext q), minus the masks' sums: aggregates. */
  sums(masked: CipherText[], maskSums: Float64Array, records: number[]): Float64Array {
    return this.timed(() => Float64Array.from(masked, (ct, q) => this.sumOf(ct, records[q]) - maskSums[q]));
  }
  /** The sum of each masked ciphertext's record slots, encrypted in every slot (the mask's sum stays in it). */
  broadcastSums(masked: CipherText[], records: number[]): Uint8Array[] {
    return this.timed(() => masked.map((ct, q) => this.encrypt(new Float64Array(this.tools.encoder.slotCount).fill(this.sumOf(ct, records[q])))));
  }
  /** Values of its own (centers, scales), each encrypted in every slot. */
  broadcast(values: ArrayLike<number>): Uint8Array[] {
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
  /** The run's index of each block's first record. */
  private readonly starts: number[];
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
    private readonly keyHolder: KeyHolderWire,
    /**
     * Records per block, when the blocks are several uploads' own: record j of the run is slot
     * j - start_b of the block b it falls in. Default: one upload's, `blockCounts(n, slots)`.
     */
    counts?: number[],
  ) {
    const slots = tools.encoder.slotCount;
    if (counts) {
      if (counts.length !== blocks.length || counts.some((c) => !Number.isInteger(c) || c < 1 || c > slots) || counts.reduce((a, c) => a + c, 0) !== n)
        throw new RangeError(`the blocks' record counts must be 1..${slots} each and add up to ${n}`);
      this.counts = [...counts];
    } else {
      if (blocks.length !== Math.ceil(n / slots)) throw new RangeError(`${n} records need ${Math.ceil(n / slots)} blocks of ${slots}, got ${blocks.length}`);
      this.counts = blockCounts(n, slots);
    }
    this.starts = this.counts.map((_, b) => this.counts.slice(0, b).reduce((a, c) => a + c, 0));
    this.D = 4 * blocks[0].length * clip * clip;
    this.arith = new CkksArith(tools);
    this.io = ciphertextBytes(tools);
  }

  /** The block and slot of the run's record j. */
  private locate(record: number): { block: number; index: number } {
    let block = this.starts.length - 1;
    while (this.starts[block] > record) block--;
    return { block, index: record - this.starts[block] };
  }
  private readonly io: ReturnType<typeof ciphertextBytes>;

  // --- the wire: ciphertexts to and from the key holder as bytes, counted ---------------------
  /** Serialised for the key holder (counted as traffic to it). */
  out(cts: CipherText[]): Uint8Array[] {
    return cts.map((ct) => {
      const bytes = this.io.save(ct);
      this.traffic.toKeyHolder += bytes.length;
      this.traffic.ciphertexts++;
      return bytes;
    });
  }
  /** Loaded from the key holder's bytes (counted), owned by this step. */
  in(bytes: Uint8Array[]): CipherText[] {
    return bytes.map((b) => {
      this.traffic.toCsp += b.length;
      this.traffic.ciphertexts++;
      return this.keep(this.io.load(b));
    });
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
  private refresh = async (cts: CipherText[], bounds: number[]): Promise<CipherText[]> => {
    const { evaluator } = this.tools;
    const masks = cts.map((_, q) => uniformMasks(this.tools.encoder.slotCount, bounds[q] * 2 ** MASK_BITS));
    const masked = cts.map((ct, q) => {
      const out = this.arith.fresh();
      evaluator.addPlain(ct, this.plain(masks[q], ct.scale, ct), out);
      return out;
    });
    const fresh = await new Promise<CipherText[]>((resolve, reject) => {
      // refreshes asked for while the others of this step's clusters reach theirs go in one call
      if (this.pending.length === 0) setTimeout(() => void this.flush(), 0);
      this.pending.push({ masked, resolve, reject });
    });
    return fresh.map((ct, q) => {
      evaluator.subPlain(ct, this.plain(masks[q], ct.scale, ct), ct);
      return ct;
    });
  };
  /** Refreshes waiting for the next call to the key holder (one per cluster when the clusters' work runs side by side). */
  private pending: Array<{ masked: CipherText[]; resolve(fresh: CipherText[]): void; reject(error: unknown): void }> = [];
  private async flush() {
    const batch = this.pending;
    this.pending = [];
    try {
      const fresh = this.in(await this.keyHolder.refresh(this.out(batch.flatMap((b) => b.masked)), this.counts[this.block]));
      let at = 0;
      for (const b of batch) b.resolve(fresh.slice(at, (at += b.masked.length)));
    } catch (error) {
      for (const b of batch) b.reject(error);
    }
  }
  /** Levels for `depth` more products with two primes left for a refresh; refreshed if not. */
  private async ready(ct: CipherText, depth: number, bound: number) {
    return ct.coeffModulusSize - depth >= 2 ? ct : (await this.refresh([ct], [bound]))[0];
  }
  /** cts + masks over every slot, and the masks' sums over the records' slots (`records[q]` of ciphertext q). */
  private masked(cts: CipherText[], bounds: number[], records: number[]): MaskedSums {
    const maskSums = new Array<number>(cts.length).fill(0);
    const out = cts.map((ct, q) => {
      const mask = uniformMasks(this.tools.encoder.slotCount, bounds[q] * 2 ** MASK_BITS);
      for (let j = 0; j < records[q]; j++) maskSums[q] += mask[j];
      const m = this.arith.fresh();
      this.tools.evaluator.addPlain(ct, this.plain(mask, ct.scale, ct), m);
      return m;
    });
    return { out: this.out(out), maskSums, records };
  }
  /** ct at the top scale, times c, one level down (refreshed first if that would leave too few primes). */
  private async times(ct: CipherText, c: number, bound: number) {
    const x = await this.ready(ct, 1, bound);
    return this.scaled(x, c, SCALE, x.coeffModulusSize - 1);
  }
  private async square(ct: CipherText, bound: number) {
    const x = await this.ready(ct, 1, bound);
    return this.mul(x, x);
  }

  // --- the protocol's steps ---------------------------------------------------------------------
  /** Centers as broadcast ciphertexts (k x p) from seed records: each picked by a one-hot product, masked in its slot, summed and re-encrypted in every slot by the key holder, unmasked. */
  async centersFromSeeds(seeds: number[]): Promise<CipherText[]> {
    const { evaluator, encoder } = this.tools;
    const slots = encoder.slotCount;
    const picked: CipherText[] = [];
    const masks: number[] = [];
    const records: number[] = [];
    for (const record of seeds) {
      const { block, index } = this.locate(record);
      for (const x of this.blocks[block]) {
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
        records.push(this.counts[block]);
      }
    }
    const sums = this.in(await this.keyHolder.broadcastSums(this.out(picked), records));
    return sums.map((ct, q) => {
      evaluator.subPlain(ct, this.plain(masks[q], ct.scale, ct), ct);
      return ct;
    });
  }

  /** d2_i = sum_l (x_l - v_il)^2 for broadcast centers (k x p); returns them masked, for their sums. */
  distances(centers: CipherText[]): MaskedSums {
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
  async aggregate(step: AggregateStep): Promise<MaskedSums> {
    const products: CipherText[] = [];
    const bounds: number[] = [];
    const records: number[] = [];
    for (this.block = 0; this.block < this.blocks.length; this.block++) {
      const block = await this.aggregateBlock(this.blocks[this.block], this.d2[this.block], step);
      products.push(...block.products);
      bounds.push(...block.bounds);
      records.push(...block.products.map(() => this.counts[this.block]));
    }
    this.block = 0;
    return this.masked(products, bounds, records);
  }

  /** One block's weights and the products to sum, per cluster [w x_l (p), w, w d2]. */
  private async aggregateBlock(features: CipherText[], d2s: CipherText[], { fuzzy, typical, q, a, b, m }: AggregateStep) {
    const { evaluator } = this.tools;
    const k = this.k;
    /** 1 / (1 + x) for x = d2 c: the geometric inverse of z = d2 c + a0, times a0 (blind.ts inv1p). */
    const inv1p = async (d2: CipherText, c: CipherText, a0: CipherText, order: number) => {
      const prod = this.mul(await this.ready(d2, 1, this.D), c);
      const z = this.arith.fresh();
      evaluator.add(prod, this.scaled(a0, 1, prod.scale, prod.coeffModulusSize), z);
      const g = this.keep((await geometricInverseEncrypted(this.tools, z, order, this.refresh)).ct);
      return this.mul(await this.ready(g, 1, 2 ** order), a0);
    };
    // the clusters' work side by side: their refreshes reach the key holder together (see `refresh`)
    const r = await Promise.all(
      d2s.map(async (d2) => {
        const r1 = await inv1p(d2, fuzzy.cr, fuzzy.ar, q.r);
        return m === 1.5 ? await this.square(r1, 1) : r1; // FCM's m = 1.5: memberships proportional to r^2
      }),
    );
    // R = sum_c r_c (r^2 at m = 1.5): the same operations on every cluster, so the same scale and level
    const R = this.arith.fresh();
    R.copy(r[0]);
    for (let i = 1; i < k; i++) evaluator.add(R, r[i], R);
    const gR = this.keep((await geometricInverseEncrypted(this.tools, await this.times(R, 1 / k, k), q.R, this.refresh)).ct);
    const invR = await this.ready(await this.times(gR, 1 / k, 2 ** q.R), 1, 2 ** q.R); // refreshed once, if at all, for every cluster
    const weights = await Promise.all(
      r.map(async (ri, i) => {
        const u = this.mul(await this.ready(ri, 1, 1), invR);
        const u2 = await this.square(u, 1);
        if (!typical) return this.times(u2, a, 1);
        const t2 = await this.square(await inv1p(d2s[i], typical.ct[i], typical.at[i], q.t[i]), 1);
        return this.combine(await this.ready(u2, 1, 1), a, await this.ready(t2, 1, 1), b);
      }),
    );
    // the aggregates: w x_l, w, w d2 (no relinearisation: the key holder decrypts three-part ciphertexts)
    const perCluster = await Promise.all(
      weights.map(async (w0, i) => {
        const w = await this.ready(w0, 1, a + b);
        const d2 = await this.ready(d2s[i], 1, this.D);
        const products = features.map((x) => this.mul(w, x, false));
        const bounds = features.map(() => (a + b) * this.clip);
        products.push(this.scaled(w, 1, SCALE, w.coeffModulusSize - 1), this.mul(w, d2, false));
        bounds.push(a + b, (a + b) * this.D);
        return { products, bounds };
      }),
    );
    return { products: perCluster.flatMap((c) => c.products), bounds: perCluster.flatMap((c) => c.bounds) };
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
  async nearest(): Promise<Int32Array> {
    const labels = new Int32Array(this.n);
    for (this.block = 0; this.block < this.blocks.length; this.block++)
      labels.set(await this.nearestInBlock(this.d2[this.block], this.counts[this.block]), this.starts[this.block]);
    this.block = 0;
    return labels;
  }

  private async nearestInBlock(d2s: CipherText[], count: number): Promise<Int32Array> {
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
    const pairs: Array<[number, number]> = [];
    for (let a = 0; a < k; a++) for (let b = a + 1; b < k; b++) pairs.push([a, b]);
    // the pairs side by side: their refreshes reach the key holder together
    const signs = await Promise.all(
      pairs.map(async ([a, b]) => {
        let x = this.arith.fresh();
        evaluator.sub(P[a], P[b], x);
        for (let round = 0; round < SIGN_ROUNDS; round++) {
          x = await this.ready(x, 2, 1);
          const x2 = this.mul(x, x);
          const three = this.arith.fresh();
          evaluator.negate(x2, three);
          evaluator.addPlain(three, this.plain(3, three.scale, three), three);
          x = this.mul(x, three);
          x.setScale(x.scale * 2); // the division by 2, exactly: the same coefficients read at twice the scale
        }
        return x;
      }),
    );
    const smallest = await this.keyHolder.labels(this.out(signs), k, count);
    if (smallest.length !== count || smallest.some((c) => !(c >= 0 && c < k))) throw new RangeError("the key holder's labels do not fit the block");
    return Int32Array.from(smallest, (c, j) => perm[j][c]);
  }

  /** What the key holder's session is told when the run begins: sizes and records per block. */
  start() {
    return { n: this.n, p: this.blocks[0].length, k: this.k, counts: [...this.counts] };
  }

  /** Ciphertexts from the key holder (centers, scales) for this step. */
  received(bytes: Uint8Array[]): CipherText[] {
    return this.in(bytes);
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
