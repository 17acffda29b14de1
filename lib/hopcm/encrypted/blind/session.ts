/**
 * The blind protocol's two ends as they run in two services (issue #14, #12's boundary): the key
 * holder keeps a session per run, holding the controller (lib/hopcm/blind.ts `blindController`)
 * and the secret key; the CSP drives the run, asking the session what to compute next and sending
 * it masked ciphertexts. Only bytes travel: encrypted centers and scales, the series' orders
 * (public), record indices for the seeding, and masked ciphertexts with their masks' sums.
 * The aggregates the controller decides on never leave the key holder; the CSP learns the final
 * labels and the number of steps.
 *
 * What the session refuses (a CSP that deviates must not get more than the protocol's answers):
 * sums of a shape other than the step's (one ciphertext per block and cluster, or per block,
 * cluster and aggregate), record counts other than the blocks' own (a sum over one slot would be
 * a record), answers out of turn, and the labels' round more than once per block or before the
 * controller asked for it.
 */
import { blindController, geometricOrder, type BlindOptions, type BlindRequest, type BlindResult } from "../../blind";
import type { CipherText } from "../params";
import { MIN_BLOCK_RECORDS, type BlindCsp, type BlindKeyHolder, type ciphertextBytes, type KeyHolderWire, type MaskedSums } from "./run";

/** What the CSP tells the key holder when a run begins: its sizes and records per block. */
export interface BlindStart {
  n: number;
  p: number;
  k: number;
  counts: number[];
}

/** What the key holder asks the CSP to compute next. */
export type BlindOrder =
  | { kind: "seeds"; seeds: number[] }
  | { kind: "centers"; centers: Uint8Array[] }
  | { kind: "aggregate"; fuzzy: Uint8Array[]; typical: Uint8Array[] | null; q: { r: number; R: number; t: number[] }; a: number; b: number; m: 2 | 1.5 }
  | { kind: "nearest" }
  | { kind: "done"; iterations: number };

/** The key holder's session as the CSP calls it. */
export interface BlindSessionWire extends KeyHolderWire {
  begin(start: BlindStart): Promise<BlindOrder>;
  /** The masked sums of the last `seeds`, `centers` or `aggregate` order (the wire may send them in parts). */
  answer(sums: MaskedSums): Promise<BlindOrder>;
  /** After the labels of every block: the run is over. */
  finish(): Promise<BlindOrder>;
}

/** A message the protocol does not allow (the service answers it with a 4xx). */
export class BlindProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BlindProtocolError";
  }
}

/** The series' orders are small integers; anything else is not a step of this protocol. */
const MAX_ORDER = 40;

/** The key holder's side of one run. */
export class BlindKeyHolderSession {
  private control: ReturnType<typeof blindController> | null = null;
  private pending: BlindRequest | null = null;
  private start: BlindStart | null = null;
  private labelled = 0;
  /** The step's sums received so far (an answer may come in parts: one HTTP body holds a few MiB). */
  private received: Float64Array | null = null;
  private receivedCount = 0;
  /** The controller's result once the run is over (centers, eta, trace: the key holder's own). */
  result: BlindResult | null = null;

  constructor(
    private readonly keyHolder: BlindKeyHolder,
    private readonly io: ReturnType<typeof ciphertextBytes>,
    private readonly slots: number,
    private readonly options: BlindOptions,
  ) {}

  /** The sizes the run was begun with. */
  get sizes(): BlindStart | null {
    return this.start;
  }

  begin(start: BlindStart): BlindOrder {
    if (this.control) throw new BlindProtocolError("this run has begun already");
    const { n, p, k, counts } = start;
    const whole = (x: unknown, min: number) => Number.isSafeInteger(x) && (x as number) >= min;
    if (!whole(n, 1) || !whole(p, 1) || k !== this.options.k || !whole(k, 2) || n < k) throw new BlindProtocolError("the run's sizes do not fit its options");
    // blocks of one or several uploads (blockCounts each): none smaller than MIN_BLOCK_RECORDS, as the sums are decrypted per block
    const least = Math.min(n, MIN_BLOCK_RECORDS);
    if (
      !Array.isArray(counts) ||
      counts.length < 1 ||
      counts.some((c) => !Number.isSafeInteger(c) || c < least || c > this.slots) ||
      counts.reduce((a, c) => a + c, 0) !== n
    )
      throw new BlindProtocolError(`${n} records must be blocks of ${least} to ${this.slots} records each`);
    this.start = { n, p, k, counts: [...counts] };
    this.control = blindController(n, p, k, this.options);
    return this.order(this.control.next());
  }

  /**
   * The masked sums of the step, all of them or the part starting at ciphertext `first` (parts in
   * order); the next order once every part is in, else null.
   */
  answer({ out, maskSums, records }: MaskedSums, first = 0): BlindOrder | null {
    const request = this.pending;
    if (!this.control || !this.start || !request || request.kind === "nearest") throw new BlindProtocolError("no sums are due now");
    const { n, p, k, counts } = this.start;
    const per = request.kind === "distances" ? k : k * (p + 2);
    const total = counts.length * per;
    if (first !== this.receivedCount || first + out.length > total || maskSums.length !== out.length || records.length !== out.length)
      throw new BlindProtocolError(`this step's sums are ${total} ciphertexts, in order (${this.receivedCount} received)`);
    if (records.some((r, i) => r !== counts[Math.floor((first + i) / per)])) throw new BlindProtocolError("a sum must cover its whole block");
    if (maskSums.some((x) => !Number.isFinite(x))) throw new BlindProtocolError("the masks' sums must be numbers");
    const part = this.within(out, (cts) => this.keyHolder.sums(cts, Float64Array.from(maskSums), records));
    (this.received ??= new Float64Array(total)).set(part, first);
    this.receivedCount += out.length;
    if (this.receivedCount < total) return null;
    const sums = this.received;
    this.received = null;
    this.receivedCount = 0;
    if (request.kind === "distances") return this.order(this.control.next(sums.reduce((s, x) => s + x, 0) / (k * n)));
    const added = new Float64Array(per);
    sums.forEach((x, q) => (added[q % per] += x));
    return this.order(this.control.next(added));
  }

  finish(): BlindOrder {
    if (!this.control || !this.start || this.pending?.kind !== "nearest" || this.labelled !== this.start.counts.length)
      throw new BlindProtocolError("the labels are not done");
    // the key holder never learns the labels (it saw signs in orders permuted per record)
    return this.order(this.control.next(new Int32Array(0)));
  }

  refresh(masked: Uint8Array[], records: number): Uint8Array[] {
    this.mustRun(records);
    return this.within(masked, (cts) => this.keyHolder.refresh(cts, records));
  }

  broadcastSums(masked: Uint8Array[], records: number[]): Uint8Array[] {
    records.forEach((r) => this.mustRun(r));
    if (records.length !== masked.length) throw new BlindProtocolError("one record count per ciphertext");
    return this.within(masked, (cts) => this.keyHolder.broadcastSums(cts, records));
  }

  labels(signs: Uint8Array[], k: number, records: number): Int32Array {
    this.mustRun(records);
    const start = this.start!;
    if (this.pending?.kind !== "nearest" || k !== start.k || signs.length !== (k * (k - 1)) / 2 || records !== start.counts[this.labelled])
      throw new BlindProtocolError("the labels' round is once per block, in order, after the last step");
    this.labelled++;
    return this.within(signs, (cts) => this.keyHolder.smallestFromSigns(cts, k, records));
  }

  private mustRun(records: number) {
    if (!this.control || !this.start || this.result) throw new BlindProtocolError("no run is going on");
    if (!this.start.counts.includes(records)) throw new BlindProtocolError("record counts are the blocks' own");
  }

  /** Loads the CSP's bytes, works on them, frees them. */
  private within<T>(bytes: Uint8Array[], work: (cts: CipherText[]) => T): T {
    const cts: CipherText[] = [];
    try {
      for (const b of bytes) cts.push(this.io.load(b));
      return work(cts);
    } catch (error) {
      if (error instanceof RangeError) throw new BlindProtocolError(error.message);
      throw error;
    } finally {
      for (const ct of cts) ct.delete();
    }
  }

  /** The controller's next request as an order to the CSP: its plaintext values encrypted here. */
  private order(next: IteratorResult<BlindRequest, BlindResult>): BlindOrder {
    if (next.done) {
      this.pending = null;
      this.result = next.value;
      return { kind: "done", iterations: next.value.iterations };
    }
    const request = (this.pending = next.value);
    const { k } = this.start!;
    if (request.kind === "nearest") return { kind: "nearest" };
    if (request.kind === "distances")
      return "seeds" in request.from
        ? { kind: "seeds", seeds: request.from.seeds }
        : { kind: "centers", centers: this.keyHolder.broadcast(request.from.values) };
    // the weights' scales: fuzzy cr = 1 / (s (1 + Tr)), ar = 1 / (1 + Tr);
    // per cluster in the possibilistic phase ct_i = b / (eta_i (1 + Tt_i)), at_i = 1 / (1 + Tt_i)
    const { s, eta, a, b, D, m } = request.scales;
    const Tr = D / s;
    const Tt = eta ? Array.from(eta, (e) => (b * D) / e) : [];
    return {
      kind: "aggregate",
      fuzzy: this.keyHolder.broadcast([1 / (s * (1 + Tr)), 1 / (1 + Tr)]),
      typical: eta ? this.keyHolder.broadcast([...Tt.map((T, i) => b / (eta[i] * (1 + T))), ...Tt.map((T) => 1 / (1 + T))]) : null,
      q: { r: geometricOrder(1 + Tr), R: geometricOrder(k * 64), t: Tt.map((T) => geometricOrder(1 + T)) },
      a,
      b,
      m,
    };
  }
}

/** The session called in this process, with the same awaits as over HTTP. */
export function sessionWire(session: BlindKeyHolderSession): BlindSessionWire {
  return {
    begin: async (start) => session.begin(start),
    answer: async (sums) => session.answer(sums)!,
    finish: async () => session.finish(),
    refresh: async (masked, records) => session.refresh(masked, records),
    broadcastSums: async (masked, records) => session.broadcastSums(masked, records),
    labels: async (signs, k, records) => session.labels(signs, k, records),
  };
}

/**
 * The CSP's side of a run: asks the key holder's session what to compute, computes it on the
 * ciphertexts, sends the masked sums back, until the session says it is done. `between`: called
 * before every order (heartbeat, cancellation); may throw to stop the run.
 */
export async function driveBlindRun(
  csp: BlindCsp,
  wire: BlindSessionWire,
  between?: (order: BlindOrder, steps: number) => void | Promise<void>,
): Promise<{ labels: Int32Array; iterations: number }> {
  const { k, p } = csp.start();
  let order = await wire.begin(csp.start());
  let labels: Int32Array | null = null;
  let steps = 0;
  for (;;) {
    await between?.(order, steps);
    switch (order.kind) {
      case "seeds": {
        const { seeds } = order;
        if (seeds.length !== k || new Set(seeds).size !== k || seeds.some((j) => !Number.isSafeInteger(j) || j < 0 || j >= csp.n))
          throw new BlindProtocolError("the seeds must be k distinct records");
        csp.sweep();
        order = await wire.answer(csp.distances(await csp.centersFromSeeds(seeds)));
        break;
      }
      case "centers": {
        if (order.centers.length !== k * p) throw new BlindProtocolError("the centers must be k x p ciphertexts");
        csp.sweep();
        order = await wire.answer(csp.distances(csp.received(order.centers)));
        break;
      }
      case "aggregate": {
        const { fuzzy, typical, q, a, b, m } = order;
        const orders = [q.r, q.R, ...q.t];
        if (
          fuzzy.length !== 2 ||
          (typical && (typical.length !== 2 * k || q.t.length !== k)) ||
          orders.some((x) => !Number.isInteger(x) || x < 1 || x > MAX_ORDER)
        )
          throw new BlindProtocolError("the step's scales do not fit the run");
        if (![a, b].every((x) => Number.isFinite(x) && x > 0) || (m !== 2 && m !== 1.5))
          throw new BlindProtocolError("the step's constants do not fit the protocol");
        const [cr, ar] = csp.received(fuzzy);
        const both = typical ? csp.received(typical) : null;
        order = await wire.answer(await csp.aggregate({ fuzzy: { cr, ar }, typical: both ? { ct: both.slice(0, k), at: both.slice(k) } : null, q, a, b, m }));
        steps++;
        break;
      }
      case "nearest":
        labels = await csp.nearest();
        order = await wire.finish();
        break;
      case "done":
        if (!labels) throw new BlindProtocolError("the run ended before its labels");
        return { labels, iterations: order.iterations };
    }
  }
}
