/**
 * G1 and G2 scalar multiplication on the wasm field module (Jacobian coordinates).
 *
 * Fixed base: signed 8-bit windows, 33 rows of the affine multiples v * 2^(8j) * B, v = 1..128,
 * so k * B costs at most 33 mixed additions and no doublings. Variable base: width-5 wNAF
 * over affine odd multiples. The exceptional cases of the addition formulas (doubling,
 * cancellation, infinity) are handled here, so every scalar gives the right answer.
 *
 * Exports: CurveKind, WasmFixedBase, Acc, wasmMulVar, wasmFixedSums, glvFromRegister, g1Registers,
 *          readG1Register, wasmG1InSubgroup, wasmG2InSubgroup, wasmSqrtFp.
 */
import { bls12_381 } from "@noble/curves/bls12-381.js";
import type { WeierstrassPoint } from "@noble/curves/abstract/weierstrass.js";
import type { Fp2 } from "@noble/curves/abstract/tower.js";
import { type FieldWasm, SIZES, copyWords, fromMont, toMont } from "./runtime";
import { modInverse } from "../fpinv";
import { exponentTrace } from "../trace";

const { Fp, Fp2: Fp2F } = bls12_381.fields;
const L = SIZES.LIMBS;

export type CurveKind = "g1" | "g2";

type Coord = bigint | Fp2;
type Pt = WeierstrassPoint<bigint> | WeierstrassPoint<Fp2>;

/** Per-curve facts: coordinate size and how coordinates move between noble and wasm. */
type Spec = {
  coordWords: number;
  write(u32: Uint32Array, at: number, c: Coord): void;
  read(u32: Uint32Array, at: number): Coord;
  inv(c: Coord): Coord;
  mul(a: Coord, b: Coord): Coord;
  make(x: Coord, y: Coord): Pt;
  zero: Pt;
  dbl(w: FieldWasm): (r: number, a: number) => void;
  madd(w: FieldWasm): (r: number, a: number, b: number) => number;
  add(w: FieldWasm): (r: number, a: number, b: number) => number;
  /** dst = -src for one coordinate. */
  neg(w: FieldWasm, dst: number, src: number): void;
  copyCoord(w: FieldWasm, dst: number, src: number): void;
  setOne(w: FieldWasm, dst: number): void;
  mulCoord(w: FieldWasm): (r: number, a: number, b: number) => void;
};

/** 1 / (c0 + c1 u) = (c0 - c1 u) / (c0^2 + c1^2), with one Lehmer inversion in Fp. */
function fp2Inv(a: Fp2): Fp2 {
  const n = modInverse(Fp.add(Fp.sqr(a.c0), Fp.sqr(a.c1)), Fp.ORDER);
  return Fp2F.create({ c0: Fp.mul(a.c0, n), c1: Fp.neg(Fp.mul(a.c1, n)) });
}

const G1P = bls12_381.G1.Point;
const G2P = bls12_381.G2.Point;

const SPECS: Record<CurveKind, Spec> = {
  g1: {
    coordWords: L,
    write: (u32, at, c) => toMont(c as bigint, u32, at),
    read: (u32, at) => fromMont(u32, at),
    inv: (c) => modInverse(c as bigint, Fp.ORDER),
    mul: (a, b) => Fp.mul(a as bigint, b as bigint),
    make: (x, y) => new G1P(x as bigint, y as bigint, 1n),
    zero: G1P.ZERO,
    dbl: (w) => w.g1_dbl,
    madd: (w) => w.g1_madd,
    add: (w) => w.g1_add,
    neg: (w, dst, src) => w.fp_sub(dst, w.layout.zero, src),
    copyCoord: (w, dst, src) => w.fp_copy(dst, src),
    setOne: (w, dst) => w.fp_copy(dst, w.layout.one),
    mulCoord: (w) => w.fp_mul,
  },
  g2: {
    coordWords: 2 * L,
    write: (u32, at, c) => {
      toMont((c as Fp2).c0, u32, at);
      toMont((c as Fp2).c1, u32, at + L);
    },
    read: (u32, at) => Fp2F.create({ c0: fromMont(u32, at), c1: fromMont(u32, at + L) }),
    inv: (c) => fp2Inv(c as Fp2),
    mul: (a, b) => Fp2F.mul(a as Fp2, b as Fp2),
    make: (x, y) => new G2P(x as Fp2, y as Fp2, Fp2F.ONE),
    zero: G2P.ZERO,
    dbl: (w) => w.g2_dbl,
    madd: (w) => w.g2_madd,
    add: (w) => w.g2_add,
    neg: (w, dst, src) => w.fp2_neg(dst, src),
    copyCoord: (w, dst, src) => w.fp2_copy(dst, src),
    setOne: (w, dst) => {
      w.fp_copy(dst, w.layout.one);
      w.fp_copy(dst + SIZES.FP_BYTES, w.layout.zero);
    },
    mulCoord: (w) => w.fp2_mul,
  },
};

type Regs = { acc: number; tmp: number; aff: number; odd: number[] };
/** Jacobian registers per curve: odd multiples for wNAF, or the outputs of a batched sum. */
const POOL = 64;
const regsCache = new Map<string, Regs>();
function regs(w: FieldWasm, kind: CurveKind): Regs {
  const key = kind;
  let r = regsCache.get(key);
  if (!r || !regsUsable(w, r)) {
    const c = SPECS[kind].coordWords * 4;
    r = { acc: w.alloc(3 * c), tmp: w.alloc(3 * c), aff: w.alloc(2 * c), odd: Array.from({ length: POOL }, () => w.alloc(3 * c)) };
    regsCache.set(key, r);
    owner.set(r, w);
  }
  return r;
}
const owner = new WeakMap<Regs, FieldWasm>();
const regsUsable = (w: FieldWasm, r: Regs) => owner.get(r) === w;

/** Write an affine noble point as (x, y) at `addr` (the point must not be the identity). */
function writeAffine(w: FieldWasm, s: Spec, addr: number, P: Pt): void {
  const { x, y } = (P as WeierstrassPoint<Coord>).toAffine();
  s.write(w.u32, addr / 4, x);
  s.write(w.u32, addr / 4 + s.coordWords, y);
}

/** Jacobian register -> noble point (one inversion). */
function readJacobian(w: FieldWasm, s: Spec, addr: number): Pt {
  const at = addr / 4;
  const cw = s.coordWords;
  const Z = s.read(w.u32, at + 2 * cw);
  const isZero = typeof Z === "bigint" ? Z === 0n : Fp2F.is0(Z);
  if (isZero) return s.zero;
  const zi = s.inv(Z);
  const zi2 = s.mul(zi, zi);
  const x = s.mul(s.read(w.u32, at), zi2);
  const y = s.mul(s.read(w.u32, at + cw), s.mul(zi2, zi));
  return s.make(x, y);
}

/** Jacobian accumulator with explicit infinity flag. */
export class Acc {
  inf = true;
  constructor(
    private readonly w: FieldWasm,
    private readonly s: Spec,
    readonly addr: number,
    private readonly tmp: number,
  ) {}
  private get cb(): number {
    return this.s.coordWords * 4;
  }
  /** acc += affine point at `aff` (its y possibly negated already). */
  addAffine(aff: number): void {
    const { w, s } = this;
    if (this.inf) {
      s.copyCoord(w, this.addr, aff);
      s.copyCoord(w, this.addr + this.cb, aff + this.cb);
      s.setOne(w, this.addr + 2 * this.cb);
      this.inf = false;
      return;
    }
    // The generated madd is alias-safe, so it writes the sum straight into the accumulator; in
    // the exceptional cases the register holds garbage but is rebuilt below from `aff` alone.
    const st = s.madd(w)(this.addr, this.addr, aff);
    if ((st & 1) === 0) {
      return;
    } else if (st & 2) {
      // Same point: double the affine input (as Jacobian with Z = 1).
      s.copyCoord(w, this.tmp, aff);
      s.copyCoord(w, this.tmp + this.cb, aff + this.cb);
      s.setOne(w, this.tmp + 2 * this.cb);
      s.dbl(w)(this.addr, this.tmp);
    } else {
      this.inf = true; // P + (-P)
    }
  }
  double(): void {
    if (!this.inf) this.s.dbl(this.w)(this.addr, this.addr);
  }
}

function eqCoord(w: FieldWasm, s: Spec, a: number, b: number): boolean {
  for (let i = 0; i < s.coordWords / L; i++) if (!w.fp_eq(a + i * SIZES.FP_BYTES, b + i * SIZES.FP_BYTES)) return false;
  return true;
}

function copyPoint(w: FieldWasm, s: Spec, dst: number, src: number): void {
  const cb = s.coordWords * 4;
  for (let i = 0; i < 3; i++) s.copyCoord(w, dst + i * cb, src + i * cb);
}

/** Signed base-2^8 digits in [-128, 127]. */
function signedDigits(k: bigint, window: number): number[] {
  const out: number[] = [];
  const full = 1 << window;
  const half = full >> 1;
  const mask = BigInt(full - 1);
  while (k > 0n) {
    let d = Number(k & mask);
    k >>= BigInt(window);
    if (d >= half) {
      d -= full;
      k += 1n;
    }
    out.push(d);
  }
  return out;
}

/** Fixed-base table for one long-lived point (generator or VK point). */
export class WasmFixedBase {
  static readonly WINDOW = 8;
  private readonly words: Uint32Array;
  private readonly rows: number;
  private readonly per: number;
  private readonly spec: Spec;

  constructor(
    private readonly w: FieldWasm,
    readonly kind: CurveKind,
    base: Pt,
    scalarBits = 255,
  ) {
    const s = SPECS[kind];
    this.spec = s;
    const win = WasmFixedBase.WINDOW;
    this.rows = Math.ceil(scalarBits / win) + 1;
    this.per = 1 << (win - 1);
    const pw = 2 * s.coordWords;
    this.words = new Uint32Array(this.rows * this.per * pw);
    buildRows(w, s, base, this.rows, this.per, this.words);
  }

  /** k * base for k in [0, 2^scalarBits). */
  mul(k: bigint): Pt {
    const { w, spec: s } = this;
    const R = regs(w, this.kind);
    const acc = new Acc(w, s, R.acc, R.tmp);
    this.addInto(acc, R.aff, k);
    return acc.inf ? s.zero : readJacobian(w, s, R.acc);
  }

  /**
   * Does k * base equal the point Q? Compared in Jacobian coordinates (X = x Z^2, Y = y Z^3
   * against Q's affine x, y), so no inversion is needed.
   */
  mulEquals(k: bigint, Q: Pt): boolean {
    const { w, spec: s } = this;
    const R = regs(w, this.kind);
    const acc = new Acc(w, s, R.acc, R.tmp);
    this.addInto(acc, R.aff, k);
    if (acc.inf || Q.is0()) return acc.inf && Q.is0();
    const cb = s.coordWords * 4;
    const mul = s.mulCoord(w);
    writeAffine(w, s, R.aff, Q); // (x, y) of Q
    const [z2, t] = [R.odd[0], R.odd[0] + cb];
    mul(z2, R.acc + 2 * cb, R.acc + 2 * cb); // Z^2
    mul(t, R.aff, z2); // x Z^2
    if (!eqCoord(w, s, t, R.acc)) return false;
    mul(z2, z2, R.acc + 2 * cb); // Z^3
    mul(t, R.aff + cb, z2); // y Z^3
    return eqCoord(w, s, t, R.acc + cb);
  }

  /** acc += k * base, using `aff` as the lookup register. */
  addInto(acc: Acc, aff: number, k: bigint): void {
    const { w, spec: s } = this;
    const digits = signedDigits(k, WasmFixedBase.WINDOW);
    const pw = 2 * s.coordWords;
    for (let j = 0; j < digits.length; j++) {
      const d = digits[j];
      if (d === 0) continue;
      if (j >= this.rows) throw new Error("scalar too large for fixed-base table");
      const at = (j * this.per + Math.abs(d) - 1) * pw;
      copyWords(w.u32, aff / 4, this.words, at, pw);
      if (d < 0) s.neg(w, aff + s.coordWords * 4, aff + s.coordWords * 4);
      acc.addAffine(aff);
    }
  }
}

/**
 * Several fixed-base sums at once, e.g. the ciphertext row (C2, C3) = (k1 B1, k2 B2 + k3 B3):
 * each output accumulates its terms in one Jacobian register, and all outputs share a single
 * inversion when converted back (Montgomery's trick).
 */
export function wasmFixedSums(w: FieldWasm, kind: CurveKind, sums: ReadonlyArray<ReadonlyArray<readonly [WasmFixedBase, bigint]>>): Pt[] {
  const s = SPECS[kind];
  const R = regs(w, kind);
  const out: Pt[] = [];
  // Chunks of the register pool; each chunk shares one inversion.
  for (let from = 0; from < sums.length; from += R.odd.length) {
    const chunk = sums.slice(from, from + R.odd.length);
    const accs = chunk.map((terms, i) => {
      const acc = new Acc(w, s, R.odd[i], R.tmp);
      for (const [t, k] of terms) if (k !== 0n) t.addInto(acc, R.aff, k);
      return acc;
    });
    out.push(
      ...readJacobianMany(
        w,
        s,
        accs.map((a) => (a.inf ? null : a.addr)),
      ),
    );
  }
  return out;
}

/** Jacobian registers -> noble points with one inversion for all of them. */
function readJacobianMany(w: FieldWasm, s: Spec, addrs: (number | null)[]): Pt[] {
  const cw = s.coordWords;
  const live = addrs.map((a) => (a === null ? null : { a, Z: s.read(w.u32, a / 4 + 2 * cw) }));
  const zs = live.filter((e): e is { a: number; Z: Coord } => e !== null && !isZeroCoord(e.Z));
  // Prefix products, one inversion, then peel off each inverse.
  const pref: Coord[] = [];
  let accv: Coord | null = null;
  for (const e of zs) {
    accv = accv === null ? e.Z : s.mul(accv, e.Z);
    pref.push(accv);
  }
  const inverses = new Map<number, Coord>();
  if (accv !== null) {
    let inv = s.inv(accv);
    for (let i = zs.length - 1; i >= 0; i--) {
      inverses.set(zs[i].a, i === 0 ? inv : s.mul(inv, pref[i - 1]));
      if (i > 0) inv = s.mul(inv, zs[i].Z);
    }
  }
  return live.map((e) => {
    if (e === null) return s.zero;
    const zi = inverses.get(e.a);
    if (zi === undefined) return s.zero;
    const zi2 = s.mul(zi, zi);
    return s.make(s.mul(s.read(w.u32, e.a / 4), zi2), s.mul(s.read(w.u32, e.a / 4 + cw), s.mul(zi2, zi)));
  });
}

function isZeroCoord(c: Coord): boolean {
  return typeof c === "bigint" ? c === 0n : Fp2F.is0(c);
}

type BuildRegs = { pts: number[]; pref: number[]; base: number; inv: number; zi: number; t: number };
const buildRegsCache = new Map<CurveKind, BuildRegs>();

/**
 * Table rows T[j][v-1] = affine(v 2^(8j) B), v = 1..per, computed on the wasm module: each row
 * by repeated mixed additions, then normalised with one inversion (Montgomery's trick); the
 * next row's base 2^8 B_j = 2 (128 B_j) rides along in the same batch.
 */
function buildRows(w: FieldWasm, s: Spec, base: Pt, rows: number, per: number, out: Uint32Array): void {
  const kind: CurveKind = s.coordWords === L ? "g1" : "g2";
  const cb = s.coordWords * 4;
  let B = buildRegsCache.get(kind);
  if (!B) {
    B = {
      pts: Array.from({ length: per + 1 }, () => w.alloc(3 * cb)),
      pref: Array.from({ length: per + 1 }, () => w.alloc(cb)),
      base: w.alloc(2 * cb),
      inv: w.alloc(cb),
      zi: w.alloc(cb),
      t: w.alloc(cb),
    };
    buildRegsCache.set(kind, B);
  }
  const mul = s.mulCoord(w);
  const dbl = s.dbl(w);
  const madd = s.madd(w);
  writeAffine(w, s, B.base, base);
  const pw = 2 * s.coordWords;
  for (let j = 0; j < rows; j++) {
    const P = B.pts;
    // P[v] = (v + 1) B_j in Jacobian coordinates, P[per] = 2^8 B_j.
    s.copyCoord(w, P[0], B.base);
    s.copyCoord(w, P[0] + cb, B.base + cb);
    s.setOne(w, P[0] + 2 * cb);
    dbl(P[1], P[0]);
    for (let v = 2; v < per; v++) if (madd(P[v], P[v - 1], B.base) & 1) throw new Error("degenerate table point");
    dbl(P[per], P[per - 1]);
    // Montgomery's trick over the Z coordinates.
    s.copyCoord(w, B.pref[0], P[0] + 2 * cb);
    for (let v = 1; v <= per; v++) mul(B.pref[v], B.pref[v - 1], P[v] + 2 * cb);
    s.write(w.u32, B.inv / 4, s.inv(s.read(w.u32, B.pref[per] / 4)));
    for (let v = per; v >= 0; v--) {
      if (v > 0) {
        mul(B.zi, B.inv, B.pref[v - 1]);
        mul(B.inv, B.inv, P[v] + 2 * cb);
      } else s.copyCoord(w, B.zi, B.inv);
      mul(B.t, B.zi, B.zi); // zi^2
      mul(P[v], P[v], B.t); // x = X zi^2
      mul(B.t, B.t, B.zi); // zi^3
      mul(P[v] + cb, P[v] + cb, B.t); // y = Y zi^3
    }
    for (let v = 0; v < per; v++) out.set(w.u32.subarray(P[v] / 4, P[v] / 4 + pw), (j * per + v) * pw);
    s.copyCoord(w, B.base, P[per]);
    s.copyCoord(w, B.base + cb, P[per] + cb);
  }
}

/** Affine coordinates of many projective noble points with one inversion (Montgomery's trick). */
function batchAffine(s: Spec, pts: WeierstrassPoint<Coord>[]): [Coord, Coord][] {
  // noble points are homogeneous projective: x = X/Z, y = Y/Z.
  const n = pts.length;
  const pref: Coord[] = new Array(n);
  let accv: Coord | null = null;
  for (let i = 0; i < n; i++) {
    accv = accv === null ? pts[i].Z : s.mul(accv, pts[i].Z);
    pref[i] = accv;
  }
  let inv = s.inv(accv as Coord);
  const out: [Coord, Coord][] = new Array(n);
  for (let i = n - 1; i >= 0; i--) {
    const zi = i === 0 ? inv : s.mul(inv, pref[i - 1]);
    if (i > 0) inv = s.mul(inv, pts[i].Z);
    out[i] = [s.mul(pts[i].X, zi), s.mul(pts[i].Y, zi)];
  }
  return out;
}

/** Width-5 wNAF digits (odd, |d| <= 15). */
function wnaf(k: bigint): number[] {
  const out: number[] = [];
  while (k > 0n) {
    if (k & 1n) {
      let d = Number(k & 31n);
      if (d >= 16) d -= 32;
      k -= BigInt(d);
      out.push(d);
    } else out.push(0);
    k >>= 1n;
  }
  return out;
}

/** k * P for an arbitrary point (variable base), k in [0, r). */
export function wasmMulVar(w: FieldWasm, kind: CurveKind, P: Pt, k: bigint): Pt {
  const s = SPECS[kind];
  if (k === 0n || P.is0()) return s.zero;
  if (kind === "g1") return mulG1Glv(w, P as WeierstrassPoint<bigint>, k);
  const R = regs(w, kind);
  // Odd multiples P, 3P, ..., 15P in affine (one batch inversion through noble).
  const P0 = P as WeierstrassPoint<Coord>;
  const twoP = P0.double();
  const odds: WeierstrassPoint<Coord>[] = [P0];
  for (let i = 1; i < 8; i++) odds.push(odds[i - 1].add(twoP));
  const aff = batchAffine(s, odds);
  const cw = s.coordWords;
  aff.forEach(([x, y], i) => {
    s.write(w.u32, R.odd[i] / 4, x);
    s.write(w.u32, R.odd[i] / 4 + cw, y);
  });
  const digits = wnaf(k);
  const acc = new Acc(w, s, R.acc, R.tmp);
  for (let i = digits.length - 1; i >= 0; i--) {
    acc.double();
    const d = digits[i];
    if (d === 0) continue;
    const src = R.odd[(Math.abs(d) - 1) >> 1];
    s.copyCoord(w, R.aff, src);
    if (d > 0) s.copyCoord(w, R.aff + cw * 4, src + cw * 4);
    else s.neg(w, R.aff + cw * 4, src + cw * 4);
    acc.addAffine(R.aff);
  }
  return acc.inf ? s.zero : readJacobian(w, s, R.acc);
}

// GLV on G1: phi(x, y) = (beta x, y) acts as multiplication by lambda = -x^2 (mod r) (the same
// beta noble's subgroup check uses), so k = k1 + q x^2 with k1, q < 2^128 gives
// k P = k1 P + q (-phi(P)) and halves the doublings.
const BETA = 0x5f19672fdf76ce51ba69c6076a0f77eaddb3a93be6f89688de17d813620a00022e01fffffffefffen;
const X2 = 0xd201000000010000n * 0xd201000000010000n;
let betaAddr = 0;

function mulG1Glv(w: FieldWasm, P: WeierstrassPoint<bigint>, k: bigint): Pt {
  const R = regs(w, "g1");
  const FB = SIZES.FP_BYTES;
  const { x, y } = P.toAffine();
  toMont(x, w.u32, R.odd[0] / 4);
  toMont(y, w.u32, R.odd[0] / 4 + L);
  SPECS.g1.setOne(w, R.odd[0] + 2 * FB);
  return glvFromRegister(w, R.odd[0], k) ? readJacobian(w, SPECS.g1, R.acc) : SPECS.g1.zero;
}

/**
 * k * B for a G1 point B given in Jacobian coordinates at `base` (which may be odd[0]); the
 * result is left in the g1 accumulator register. Returns false for the identity.
 */
export function glvFromRegister(w: FieldWasm, base: number, k: bigint): boolean {
  const R = regs(w, "g1");
  const FB = SIZES.FP_BYTES;
  if (!betaAddr) {
    betaAddr = w.alloc(FB);
    toMont(BETA, w.u32, betaAddr / 4);
  }
  if (k === 0n) return false;
  const k1 = k % X2;
  const k2 = k / X2;
  // Odd multiples B, 3B, 5B, 7B (Jacobian); the phi side is derived per lookup.
  if (base !== R.odd[0]) copy3(w, R.odd[0], base);
  w.g1_dbl(R.tmp, R.odd[0]);
  for (let i = 1; i < 4; i++) {
    const st = w.g1_add(R.odd[i], R.odd[i - 1], R.tmp);
    if (st & 1) throw new Error("unexpected degenerate multiple"); // B has order r > 7
  }
  // Table of the 16 signed variants: [j][neg][phi] = (+/-)(phi?)((2j+1) B), j = 0..3, all
  // Jacobian, so each step of the main loop is a single addition call.
  const variant = (j: number, neg: boolean, phi: boolean) => R.odd[8 + j * 4 + (neg ? 2 : 0) + (phi ? 1 : 0)];
  for (let j = 0; j < 4; j++) {
    const src = R.odd[j];
    for (const phi of [false, true])
      for (const neg of [false, true]) {
        const t = variant(j, neg, phi);
        if (phi) w.fp_mul(t, src, betaAddr);
        else w.fp_copy(t, src);
        if (neg) w.fp_sub(t + FB, w.layout.zero, src + FB);
        else w.fp_copy(t + FB, src + FB);
        w.fp_copy(t + 2 * FB, src + 2 * FB);
      }
  }
  const d1 = wnafW(k1, 4);
  const d2 = wnafW(k2, 4);
  const n = Math.max(d1.length, d2.length);
  let inf = true;
  const addJ = (t: number) => {
    if (inf) {
      copy3(w, R.acc, t);
      inf = false;
      return;
    }
    const st = w.g1_add(R.acc, R.acc, t); // alias-safe: exceptional cases rebuild from t
    if ((st & 1) === 0) return;
    if (st & 2) w.g1_dbl(R.acc, t);
    else inf = true;
  };
  for (let i = n - 1; i >= 0; i--) {
    if (!inf) w.g1_dbl(R.acc, R.acc);
    const a = d1[i] ?? 0;
    const b = d2[i] ?? 0;
    // k2 multiplies -phi(B): negate once more for negative digits.
    if (a) addJ(variant((Math.abs(a) - 1) >> 1, a < 0, false));
    if (b) addJ(variant((Math.abs(b) - 1) >> 1, b > 0, true));
  }
  return !inf;
}

/** The g1 register pool (for callers that compose register-level operations). */
export function g1Registers(w: FieldWasm): { acc: number; odd0: number } {
  const R = regs(w, "g1");
  return { acc: R.acc, odd0: R.odd[0] };
}
export function readG1Register(w: FieldWasm, addr: number): WeierstrassPoint<bigint> {
  return readJacobian(w, SPECS.g1, addr) as WeierstrassPoint<bigint>;
}

function copy3(w: FieldWasm, dst: number, src: number): void {
  const FB = SIZES.FP_BYTES;
  for (let i = 0; i < 3; i++) w.fp_copy(dst + i * FB, src + i * FB);
}

/** Width-w NAF digits (odd, |d| < 2^(w-1)), least significant first. */
function wnafW(k: bigint, width: number): number[] {
  const out: number[] = [];
  const full = 1 << width;
  const mask = BigInt(full - 1);
  while (k > 0n) {
    if (k & 1n) {
      let d = Number(k & mask);
      if (d >= full >> 1) d -= full;
      k -= BigInt(d);
      out.push(d);
    } else out.push(0);
    k >>= 1n;
  }
  return out;
}

// ---- subgroup checks and square roots for decoding ----------------------------------------

const X_ABS_BITS = 0xd201000000010000n;
type CheckRegs = { p: number; q: number; acc: number; tmp: number; t: number[] };
const checkRegsCache = new Map<CurveKind, CheckRegs>();
function checkRegs(w: FieldWasm, kind: CurveKind): CheckRegs {
  let r = checkRegsCache.get(kind);
  if (!r) {
    const cb = SPECS[kind].coordWords * 4;
    r = { p: w.alloc(3 * cb), q: w.alloc(3 * cb), acc: w.alloc(3 * cb), tmp: w.alloc(3 * cb), t: Array.from({ length: 6 }, () => w.alloc(cb)) };
    checkRegsCache.set(kind, r);
  }
  return r;
}

/** dst = [|x|] src for Jacobian registers (|x| has six set bits); false if the result is O. */
function mulAbsX(w: FieldWasm, s: Spec, dst: number, src: number, tmp: number): boolean {
  copyPoint(w, s, dst, src);
  for (let bit = 62; bit >= 0; bit--) {
    s.dbl(w)(dst, dst);
    if ((X_ABS_BITS >> BigInt(bit)) & 1n) {
      const st = s.add(w)(tmp, dst, src);
      if ((st & 1) === 0) copyPoint(w, s, dst, tmp);
      else if (st & 2) s.dbl(w)(dst, src);
      else return false; // only for points of small order: certainly not in the subgroup
    }
  }
  return true;
}

/**
 * Is the affine G1 point (x, y) (already known to be on the curve) in the order-r subgroup?
 * Same criterion as noble (eprint 2021/1130): phi(P) = -[x^2] P with phi(x, y) = (beta x, y).
 */
export function wasmG1InSubgroup(w: FieldWasm, x: bigint, y: bigint): boolean {
  const s = SPECS.g1;
  const R = checkRegs(w, "g1");
  const FB = SIZES.FP_BYTES;
  toMont(x, w.u32, R.p / 4);
  toMont(y, w.u32, R.p / 4 + L);
  s.setOne(w, R.p + 2 * FB);
  if (!mulAbsX(w, s, R.q, R.p, R.tmp)) return false;
  if (!mulAbsX(w, s, R.acc, R.q, R.tmp)) return false; // acc = [x^2] P
  // phi(P) = (beta x, y, 1) must equal -acc = (X, -Y, Z): compare beta x Z^2 = X, y Z^3 = -Y.
  if (!betaAddr) {
    betaAddr = w.alloc(FB);
    toMont(BETA, w.u32, betaAddr / 4);
  }
  const [z2, z3, lhs, rhs] = R.t;
  w.fp_mul(z2, R.acc + 2 * FB, R.acc + 2 * FB);
  w.fp_mul(z3, z2, R.acc + 2 * FB);
  w.fp_mul(lhs, R.p, betaAddr);
  w.fp_mul(lhs, lhs, z2);
  if (!w.fp_eq(lhs, R.acc)) return false;
  w.fp_mul(lhs, R.p + FB, z3);
  w.fp_sub(rhs, w.layout.zero, R.acc + FB);
  return w.fp_eq(lhs, rhs) === 1;
}

/**
 * Is the affine G2 point in the order-r subgroup? noble's criterion: psi(P) = [x] P, i.e.
 * psi(P) = -[|x|] P; psi(P) is computed by the caller (noble) and passed in affine form.
 */
export function wasmG2InSubgroup(w: FieldWasm, P: WeierstrassPoint<Fp2>, psiP: WeierstrassPoint<Fp2>): boolean {
  const s = SPECS.g2;
  const R = checkRegs(w, "g2");
  const cb = s.coordWords * 4;
  writeAffine(w, s, R.p, P);
  s.setOne(w, R.p + 2 * cb);
  if (!mulAbsX(w, s, R.acc, R.p, R.tmp)) return false;
  const Q = readJacobian(w, s, R.acc) as WeierstrassPoint<Fp2>;
  return Q.negate().equals(psiP);
}

let sqrtRegs: { a: number; r: number } | undefined;
/** sqrt(a) in Fp (p = 3 mod 4: a^((p+1)/4)), or null when a is not a square. */
export function wasmSqrtFp(w: FieldWasm, a: bigint): bigint | null {
  sqrtRegs ??= { a: w.alloc(SIZES.FP_BYTES), r: w.alloc(SIZES.FP_BYTES) };
  const { a: A, r: Rr } = sqrtRegs;
  toMont(a, w.u32, A / 4);
  w.fp_pow_sqrt(Rr, A); // a^((p+1)/4)
  const root = fromMont(w.u32, Rr / 4);
  return Fp.eql(Fp.sqr(root), Fp.create(a)) ? root : null;
}

/**
 * sqrt(a) in Fp2 = Fp[u]/(u^2 + 1) by the norm method: with gamma = sqrt(a0^2 + a1^2),
 * x0 = sqrt((a0 +/- gamma) / 2), x1 = a1 / (2 x0); the Fp square roots run on wasm.
 * Returns null when a is not a square.
 */
export function wasmSqrtFp2(w: FieldWasm, a: Fp2): Fp2 | null {
  const half = (Fp.ORDER + 1n) / 2n; // 1/2 mod p
  let root: Fp2 | null = null;
  if (a.c1 === 0n) {
    const s = wasmSqrtFp(w, a.c0);
    if (s !== null) root = { c0: s, c1: 0n };
    else {
      const t = wasmSqrtFp(w, Fp.neg(a.c0)); // (t u)^2 = -t^2
      if (t !== null) root = { c0: 0n, c1: t };
    }
  } else {
    const gamma = wasmSqrtFp(w, Fp.add(Fp.sqr(a.c0), Fp.sqr(a.c1)));
    if (gamma !== null) {
      let x0 = wasmSqrtFp(w, Fp.mul(Fp.add(a.c0, gamma), half));
      if (x0 === null) x0 = wasmSqrtFp(w, Fp.mul(Fp.sub(a.c0, gamma), half));
      if (x0 !== null && x0 !== 0n) root = { c0: x0, c1: Fp.mul(a.c1, modInverse(Fp.add(x0, x0), Fp.ORDER)) };
    }
  }
  if (root === null) return null;
  const r = Fp2F.create(root);
  return Fp2F.eql(Fp2F.sqr(r), a) ? r : null;
}

// ---------------------------------------------------------------------------------------------
// Fixed-base multiplication for SECRET scalars (issue #11 item 12): a comb whose operation
// sequence and memory accesses do not depend on the scalar.
//   - k is made odd without a branch (k + r when k is even: same point, r B = 0), then recoded
//     into 65 signed odd digits d_j in {+-1, +-3, ..., +-15} (Joye-Tunstall regular recoding;
//     no digit is ever zero, the last one is always 1): k = sum_j d_j 16^j;
//   - row j of the table holds the affine odd multiples (1, 3, ..., 15) * 16^j * B;
//   - per row: one lookup that reads all 8 entries and keeps one by masking, the negated y
//     computed and kept or dropped by masking, then one mixed addition (the first row is copied
//     into the empty accumulator: that depends on the row, not on k). 65 rows, no doublings.
// The partial sum before row j is odd, below 16^j in absolute value, so it can equal
// +-d_j 16^j B only through a multiple of r, which needs j >= 63 and a scalar from a set of
// density ~2^-250: only there do the exceptional branches of Acc.addAffine run (correctly).
// The final Jacobian -> affine conversion uses a variable-time inversion, as noble's own
// `multiply` does (its normalisation inverts Z with the extended Euclidean algorithm).
// ---------------------------------------------------------------------------------------------

const SECRET_ROWS = 65;
const SECRET_PER = 8;
const secretStep = (s: string) => exponentTrace.hook?.({ path: "secret", step: s });

/** 65 signed odd digits of k (k odd, 0 < k < 2^256), least significant first. */
export function oddDigits(k: bigint): number[] {
  const out: number[] = new Array<number>(SECRET_ROWS);
  for (let j = 0; j < SECRET_ROWS - 1; j++) {
    const d = Number(k & 31n) - 16; // odd, in [-15, 15]
    out[j] = d;
    k = (k - BigInt(d)) >> 4n; // stays odd
  }
  if (k !== 1n) throw new Error("scalar out of range for the secret comb");
  out[SECRET_ROWS - 1] = 1;
  return out;
}

/** Constant-time fixed-base table of one long-lived point (g1, g2, a VK's g1^gamma). */
export class WasmSecretComb {
  /** rows x 8 affine entries (x, y) in Montgomery limbs. */
  readonly words: Uint32Array;
  private readonly spec: Spec;

  constructor(
    private readonly w: FieldWasm,
    readonly kind: CurveKind,
    base: Pt,
  ) {
    const s = SPECS[kind];
    this.spec = s;
    const pw = 2 * s.coordWords;
    this.words = new Uint32Array(SECRET_ROWS * SECRET_PER * pw);
    // Built once per base with noble (public data): odd multiples of B_j = 16^j B.
    const pts: WeierstrassPoint<Coord>[] = [];
    let Bj = base as WeierstrassPoint<Coord>;
    for (let j = 0; j < SECRET_ROWS; j++) {
      const two = Bj.double();
      let cur = Bj;
      for (let v = 0; v < SECRET_PER; v++) {
        pts.push(cur);
        cur = cur.add(two);
      }
      Bj = two.double().double().double(); // 16 B_j
    }
    batchAffine(s, pts).forEach(([x, y], i) => {
      s.write(this.words, i * pw, x);
      s.write(this.words, i * pw + s.coordWords, y);
    });
  }

  /** k * base for secret k, 0 < k < r. */
  mul(k: bigint): Pt {
    return wasmSecretSums(this.w, this.kind, [[[this, k]]])[0];
  }

  /** acc += k * base: fixed sequence of 65 masked lookups, masked negations and additions. */
  addInto(acc: Acc, aff: number, tmp: number, k: bigint, order: bigint): void {
    const { w, spec: s } = this;
    const pw = 2 * s.coordWords;
    const digits = oddDigits(k + ((k & 1n) ^ 1n) * order); // k + r when k is even
    for (let j = 0; j < SECRET_ROWS; j++) {
      selectSigned(w, s, this.words, j * SECRET_PER * pw, digits[j], aff, tmp);
      acc.addAffine(aff);
      secretStep("add");
    }
  }
}

/** aff = d * (entry row of odd multiples), d odd in [-15, 15]: masked lookup, masked negation. */
function selectSigned(w: FieldWasm, s: Spec, table: Uint32Array, row: number, d: number, aff: number, tmp: number): void {
  const cw = s.coordWords;
  const neg = d >> 31; // -1 when d < 0, else 0
  const idx = ((d ^ neg) - neg - 1) >> 1; // (|d| - 1) / 2, in 0..7
  maskedSelectPoint(table, row, 2 * cw, idx, w.u32, aff / 4);
  secretStep("scan:8");
  s.neg(w, tmp, aff + cw * 4); // -y, always computed
  const u32 = w.u32;
  const [yAt, tAt] = [aff / 4 + cw, tmp / 4];
  for (let i = 0; i < cw; i++) u32[yAt + i] = (u32[yAt + i] & ~neg) | (u32[tAt + i] & neg);
}

/**
 * k * P for secret k and a variable (public) point P, e.g. H4(...)^d: the same signed odd
 * digits, from the top: 4 doublings and one masked lookup of +-(1, 3, ..., 15) P and one
 * mixed addition per digit (the top digit is always 1 and is copied). 256 doublings and 65
 * additions for every k. The partial sums stay above 15 in absolute value after the first
 * step, so the exceptional cases again need a multiple of r (density ~2^-250).
 */
export function wasmMulSecretVar(w: FieldWasm, kind: CurveKind, P: Pt, k: bigint): Pt {
  const s = SPECS[kind];
  const R = regs(w, kind);
  const pw = 2 * s.coordWords;
  const Q = P as WeierstrassPoint<Coord>;
  const two = Q.double();
  const pts: WeierstrassPoint<Coord>[] = [Q];
  for (let v = 1; v < SECRET_PER; v++) pts.push(pts[v - 1].add(two));
  const table = new Uint32Array(SECRET_PER * pw);
  batchAffine(s, pts).forEach(([x, y], i) => {
    s.write(table, i * pw, x);
    s.write(table, i * pw + s.coordWords, y);
  });
  const digits = oddDigits(k + ((k & 1n) ^ 1n) * ORDER);
  const acc = new Acc(w, s, R.acc, R.tmp);
  for (let j = SECRET_ROWS - 1; j >= 0; j--) {
    if (j < SECRET_ROWS - 1)
      for (let i = 0; i < 4; i++) {
        acc.double();
        secretStep("dbl");
      }
    selectSigned(w, s, table, 0, digits[j], R.aff, R.tmp);
    acc.addAffine(R.aff);
    secretStep("add");
  }
  return acc.inf ? s.zero : readJacobian(w, s, R.acc);
}

/** dst = entry `v` of the 8-entry row at word `row` (entries of `pw` words), reading all 8. */
export function maskedSelectPoint(table: Uint32Array, row: number, pw: number, v: number, dst: Uint32Array, at: number): void {
  const m = (e: number) => ((e ^ v) - 1) >> 31; // -1 iff e === v
  const [m0, m1, m2, m3, m4, m5, m6, m7] = [m(0), m(1), m(2), m(3), m(4), m(5), m(6), m(7)];
  for (let i = 0, o = row; i < pw; i++, o++) {
    dst[at + i] =
      (table[o] & m0) |
      (table[o + pw] & m1) |
      (table[o + 2 * pw] & m2) |
      (table[o + 3 * pw] & m3) |
      (table[o + 4 * pw] & m4) |
      (table[o + 5 * pw] & m5) |
      (table[o + 6 * pw] & m6) |
      (table[o + 7 * pw] & m7);
  }
}

const ORDER = bls12_381.fields.Fr.ORDER;

/**
 * Several secret fixed-base sums at once, e.g. the ciphertext row (C2, C3) = (r g1, r P + omega
 * g1): each output accumulates its terms in one Jacobian register; all outputs share one
 * inversion. Scalars must be in (0, r).
 */
export function wasmSecretSums(w: FieldWasm, kind: CurveKind, sums: ReadonlyArray<ReadonlyArray<readonly [WasmSecretComb, bigint]>>): Pt[] {
  const s = SPECS[kind];
  const R = regs(w, kind);
  const out: Pt[] = [];
  for (let from = 0; from < sums.length; from += R.odd.length) {
    const chunk = sums.slice(from, from + R.odd.length);
    const accs = chunk.map((terms, i) => {
      const acc = new Acc(w, s, R.odd[i], R.tmp);
      for (const [t, k] of terms) t.addInto(acc, R.aff, R.tmp, k, ORDER);
      return acc;
    });
    out.push(
      ...readJacobianMany(
        w,
        s,
        accs.map((a) => (a.inf ? null : a.addr)),
      ),
    );
  }
  return out;
}
