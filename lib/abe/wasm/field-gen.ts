/**
 * Generator of the WebAssembly module with BLS12-381 field and tower arithmetic.
 *
 * Fp elements are in Montgomery form with R = 2^392, as 14 unsaturated limbs of 28 bits, each
 * stored in a u32 (56 bytes per element). With 28-bit limbs a 64-bit accumulator takes a whole
 * product-scanning column (at most 28 products < 2^56 each), so Montgomery multiplication needs
 * no carry handling inside a column: that is what makes it fast in wasm's i64.
 *
 * Layout: Fp2 = c0|c1 (112 B), Fp6 = c0|c1|c2 (336 B), Fp12 = c0|c1 (672 B); noble's tower:
 * Fp2 = Fp[u]/(u^2+1), Fp6 = Fp2[v]/(v^3-(1+u)), Fp12 = Fp6[w]/(w^2-v).
 * Jacobian points: X|Y|Z; affine: x|y.
 *
 * The tower and curve functions are written in a small three-address form (calls on pointers)
 * with private scratch per function, so they may alias their output with their inputs.
 *
 * The module is built ahead of time: `npm run gen:wasm` writes field-module.generated.ts, which
 * the runtime instantiates; wasm.test.ts checks that file still equals this generator's output.
 *
 * Exports: genFieldModule.
 */
import { Code, I32, I64, ModuleBuilder } from "./asm";
import { FP2_BYTES, FP6_BYTES, FP_BYTES, LIMBS, LIMB_BITS, type Layout } from "./layout";

const MASK = (1n << BigInt(LIMB_BITS)) - 1n;

// ---------------------------------------------------------------------------------------------
// Straight-line three-address code over pointers
// ---------------------------------------------------------------------------------------------

/** A pointer operand: parameter p plus byte offset, or an absolute address. */
type Ptr = { p: number; o: number } | { a: number };
const arg = (p: number, o = 0): Ptr => ({ p, o });
const abs = (a: number): Ptr => ({ a });
const off = (x: Ptr, o: number): Ptr => ("a" in x ? { a: x.a + o } : { p: x.p, o: x.o + o });

type Op = [fn: string, ...ptrs: Ptr[]];

function emitPtr(c: Code, x: Ptr): void {
  if ("a" in x) c.i32(x.a);
  else {
    c.get(x.p);
    if (x.o) c.i32(x.o).i32Add();
  }
}

// ---------------------------------------------------------------------------------------------
// The generator
// ---------------------------------------------------------------------------------------------

export function genFieldModule(P: bigint): { bytes: Uint8Array; layout: Layout } {
  const pl: bigint[] = [];
  for (let i = 0, x = P; i < LIMBS; i++, x >>= BigInt(LIMB_BITS)) pl.push(x & MASK);
  // n0 = -p^-1 mod 2^28 (Newton iteration on the low limb).
  let inv = 1n;
  for (let i = 0; i < 6; i++) inv = (inv * (2n - pl[0] * inv)) & MASK;
  const n0 = -inv & MASK;

  const PAGES = 8;
  const mb = new ModuleBuilder(PAGES);

  // Memory map: constants, then private scratch of the generated functions, then the heap.
  let brk = 64;
  const alloc = (bytes: number): number => {
    const a = brk;
    brk += (bytes + 7) & ~7;
    return a;
  };
  const zero = alloc(FP_BYTES);
  const one = alloc(FP_BYTES);
  const frob: [number, number, number] = [alloc(5 * FP2_BYTES), alloc(5 * FP2_BYTES), alloc(5 * FP2_BYTES)];

  // ---- primitives with hand-written bodies -------------------------------------------------

  mb.declare("fp_mul", [I32, I32, I32]);
  mb.declare("fp_sqr", [I32, I32]);
  mb.declare("fp_add", [I32, I32, I32]);
  mb.declare("fp_sub", [I32, I32, I32]);
  mb.declare("fp_copy", [I32, I32]);
  mb.declare("fp_is_zero", [I32], [I32]);
  mb.declare("fp_eq", [I32, I32], [I32]);
  mb.declare("fp2_mul", [I32, I32, I32]);
  mb.declare("fp2_sqr", [I32, I32]);

  // Conditional subtraction of p from limbs in locals base..base+13; stores the result at param 0.
  // Uses locals d (14), borrow, tmp.
  function condSubStore(c: Code, base: number, d: number, borrow: number, tmp: number, outOff = 0): void {
    // Below p's top limb the value is certainly < p: store as is (the common, cheap case).
    c.get(base + LIMBS - 1)
      .i64(pl[LIMBS - 1])
      .ltU()
      .if(
        (c) => {
          for (let i = 0; i < LIMBS; i++)
            c.get(0)
              .get(base + i)
              .store32(outOff + 4 * i);
        },
        (c) => {
          c.i64(0n).set(borrow);
          for (let i = 0; i < LIMBS; i++) {
            c.get(base + i)
              .i64(pl[i])
              .sub()
              .get(borrow)
              .add()
              .tee(tmp)
              .i64(BigInt(LIMB_BITS))
              .shrS()
              .set(borrow);
            c.get(tmp)
              .i64(MASK)
              .and()
              .set(d + i);
          }
          for (let i = 0; i < LIMBS; i++) {
            c.get(0)
              .get(d + i)
              .get(base + i)
              .get(borrow)
              .eqz()
              .select()
              .store32(outOff + 4 * i);
          }
        },
      );
  }

  /** Emits terms[0] + ... + terms[n-1] as a balanced binary tree of i64.add. */
  function sumTree(c: Code, terms: ((c: Code) => void)[]): void {
    if (terms.length === 1) {
      terms[0](c);
      return;
    }
    const mid = terms.length >> 1;
    sumTree(c, terms.slice(0, mid));
    sumTree(c, terms.slice(mid));
    c.add();
  }

  {
    // fp_mul(r, a, b): product-scanning Montgomery multiplication (FIPS order).
    const A = 3;
    const B = A + LIMBS;
    const M = B + LIMBS;
    const T = M + LIMBS;
    const Rr = T + 1;
    const D = Rr + LIMBS;
    const BORROW = D + LIMBS;
    const TMP = BORROW + 1;
    const nLocals = TMP + 1 - 3;
    mb.define("fp_mul", new Array(nLocals).fill(I64), (c) => {
      for (let i = 0; i < LIMBS; i++)
        c.get(1)
          .load32u(4 * i)
          .set(A + i);
      for (let i = 0; i < LIMBS; i++)
        c.get(2)
          .load32u(4 * i)
          .set(B + i);
      c.i64(0n).set(T);
      for (let k = 0; k <= 2 * LIMBS - 2; k++) {
        // Column k: t + sum a_i b_(k-i) + sum m_i p_(k-i), summed as a balanced tree so the
        // additions do not form one long dependency chain.
        const terms: ((c: Code) => void)[] = [(c) => c.get(T)];
        for (let i = Math.max(0, k - LIMBS + 1); i <= Math.min(k, LIMBS - 1); i++)
          terms.push((c) =>
            c
              .get(A + i)
              .get(B + k - i)
              .mul(),
          );
        for (let i = Math.max(0, k - LIMBS + 1); i <= Math.min(k - 1, LIMBS - 1); i++)
          terms.push((c) =>
            c
              .get(M + i)
              .i64(pl[k - i])
              .mul(),
          );
        sumTree(c, terms);
        if (k < LIMBS) {
          // m_k makes the column divisible by 2^28.
          c.tee(T)
            .i64(MASK)
            .and()
            .i64(n0)
            .mul()
            .i64(MASK)
            .and()
            .set(M + k);
          c.get(T)
            .get(M + k)
            .i64(pl[0])
            .mul()
            .add()
            .i64(BigInt(LIMB_BITS))
            .shrU()
            .set(T);
        } else {
          c.tee(T)
            .i64(MASK)
            .and()
            .set(Rr + k - LIMBS);
          c.get(T).i64(BigInt(LIMB_BITS)).shrU().set(T);
        }
      }
      c.get(T).set(Rr + LIMBS - 1);
      condSubStore(c, Rr, D, BORROW, TMP);
    });
  }

  {
    // fp_sqr(r, a): as fp_mul with a = b, but each cross product a_i a_j (i < j) computed once
    // and doubled: 105 products instead of 196 for the square part.
    const A = 2;
    const M = A + LIMBS;
    const T = M + LIMBS;
    const Rr = T + 1;
    const D = Rr + LIMBS;
    const BORROW = D + LIMBS;
    const TMP = BORROW + 1;
    mb.define("fp_sqr", new Array(TMP + 1 - 2).fill(I64), (c) => {
      for (let i = 0; i < LIMBS; i++)
        c.get(1)
          .load32u(4 * i)
          .set(A + i);
      c.i64(0n).set(T);
      for (let k = 0; k <= 2 * LIMBS - 2; k++) {
        const terms: ((c: Code) => void)[] = [(c) => c.get(T)];
        const cross: ((c: Code) => void)[] = [];
        for (let i = Math.max(0, k - LIMBS + 1); i < k - i; i++)
          cross.push((c) =>
            c
              .get(A + i)
              .get(A + k - i)
              .mul(),
          );
        if (cross.length)
          terms.push((c) => {
            sumTree(c, cross);
            c.i64(1n).shl();
          });
        if (k % 2 === 0 && k / 2 < LIMBS)
          terms.push((c) =>
            c
              .get(A + k / 2)
              .get(A + k / 2)
              .mul(),
          );
        for (let i = Math.max(0, k - LIMBS + 1); i <= Math.min(k - 1, LIMBS - 1); i++)
          terms.push((c) =>
            c
              .get(M + i)
              .i64(pl[k - i])
              .mul(),
          );
        sumTree(c, terms);
        if (k < LIMBS) {
          c.tee(T)
            .i64(MASK)
            .and()
            .i64(n0)
            .mul()
            .i64(MASK)
            .and()
            .set(M + k);
          c.get(T)
            .get(M + k)
            .i64(pl[0])
            .mul()
            .add()
            .i64(BigInt(LIMB_BITS))
            .shrU()
            .set(T);
        } else {
          c.tee(T)
            .i64(MASK)
            .and()
            .set(Rr + k - LIMBS);
          c.get(T).i64(BigInt(LIMB_BITS)).shrU().set(T);
        }
      }
      c.get(T).set(Rr + LIMBS - 1);
      condSubStore(c, Rr, D, BORROW, TMP);
    });
  }

  // ---- element-wise linear operations over 1, 2 or 6 consecutive Fp elements ----------------
  // One function per (operation, width) instead of chains of single-element calls: the tower
  // code is dominated by these small operations.
  type Limb = (c: Code, i: number) => void;
  /** Locals used by the emitters below (after the i32 params). */
  const linLocals = (base: number) => ({
    S: base,
    CARRY: base + LIMBS,
    D: base + LIMBS + 1,
    BORROW: base + 2 * LIMBS + 1,
    TMP: base + 2 * LIMBS + 2,
    n: 2 * LIMBS + 3,
  });

  /** out = x + y mod p for limb sources x, y (values < p), stored at param 0 + outOff. */
  function emitAdd(c: Code, x: Limb, y: Limb, outOff: number, L: ReturnType<typeof linLocals>): void {
    c.i64(0n).set(L.CARRY);
    for (let i = 0; i < LIMBS; i++) {
      x(c, i);
      y(c, i);
      c.add().get(L.CARRY).add().tee(L.TMP).i64(BigInt(LIMB_BITS)).shrU().set(L.CARRY);
      c.get(L.TMP)
        .i64(MASK)
        .and()
        .set(L.S + i);
    }
    condSubStore(c, L.S, L.D, L.BORROW, L.TMP, outOff);
  }
  /** out = x - y mod p. */
  function emitSub(c: Code, x: Limb, y: Limb, outOff: number, L: ReturnType<typeof linLocals>): void {
    c.i64(0n).set(L.BORROW);
    for (let i = 0; i < LIMBS; i++) {
      x(c, i);
      y(c, i);
      c.sub().get(L.BORROW).add().tee(L.TMP).i64(BigInt(LIMB_BITS)).shrS().set(L.BORROW);
      c.get(L.TMP)
        .i64(MASK)
        .and()
        .set(L.S + i);
    }
    // borrow is 0 (done) or -1 (add p back, dropping the final carry).
    c.get(L.BORROW)
      .eqz()
      .if(
        (c) => {
          for (let i = 0; i < LIMBS; i++)
            c.get(0)
              .get(L.S + i)
              .store32(outOff + 4 * i);
        },
        (c) => {
          c.i64(0n).set(L.CARRY);
          for (let i = 0; i < LIMBS; i++) {
            c.get(L.S + i)
              .i64(pl[i])
              .add()
              .get(L.CARRY)
              .add()
              .tee(L.TMP)
              .i64(BigInt(LIMB_BITS))
              .shrU()
              .set(L.CARRY);
            c.get(0)
              .get(L.TMP)
              .i64(MASK)
              .and()
              .store32(outOff + 4 * i);
          }
        },
      );
  }
  const mem =
    (param: number, off: number): Limb =>
    (c, i) =>
      c.get(param).load32u(off + 4 * i);
  const zeroLimb: Limb = (c) => c.i64(0n);

  for (const [width, prefix] of [
    [1, "fp"],
    [2, "fp2"],
    [6, "fp6"],
  ] as const) {
    const L = linLocals(3);
    const L2 = linLocals(2);
    if (width > 1) {
      mb.declare(`${prefix}_add`, [I32, I32, I32]);
      mb.declare(`${prefix}_sub`, [I32, I32, I32]);
      mb.declare(`${prefix}_neg`, [I32, I32]);
    }
    mb.define(`${prefix}_add`, new Array(L.n).fill(I64), (c) => {
      for (let e = 0; e < width; e++) emitAdd(c, mem(1, e * FP_BYTES), mem(2, e * FP_BYTES), e * FP_BYTES, L);
    });
    mb.define(`${prefix}_sub`, new Array(L.n).fill(I64), (c) => {
      for (let e = 0; e < width; e++) emitSub(c, mem(1, e * FP_BYTES), mem(2, e * FP_BYTES), e * FP_BYTES, L);
    });
    if (width > 1)
      mb.define(`${prefix}_neg`, new Array(L2.n).fill(I64), (c) => {
        for (let e = 0; e < width; e++) emitSub(c, zeroLimb, mem(1, e * FP_BYTES), e * FP_BYTES, L2);
      });
  }

  {
    // fp2_mul_nr: times xi = 1 + u, (a0 - a1) + (a0 + a1) u; inputs loaded first (alias-safe).
    const A = 2;
    const L = linLocals(A + 2 * LIMBS);
    mb.declare("fp2_mul_nr", [I32, I32]);
    mb.define("fp2_mul_nr", new Array(2 * LIMBS + L.n).fill(I64), (c) => {
      for (let i = 0; i < 2 * LIMBS; i++)
        c.get(1)
          .load32u(4 * i)
          .set(A + i);
      const a0: Limb = (c, i) => c.get(A + i);
      const a1: Limb = (c, i) => c.get(A + LIMBS + i);
      emitSub(c, a0, a1, 0, L);
      emitAdd(c, a0, a1, FP_BYTES, L);
    });
  }

  mb.define("fp_copy", [], (c) => {
    for (let i = 0; i < LIMBS; i++)
      c.get(0)
        .get(1)
        .load32u(4 * i)
        .store32(4 * i);
  });

  mb.define("fp_is_zero", [I64], (c) => {
    c.i64(0n).set(1);
    for (let i = 0; i < LIMBS; i++)
      c.get(1)
        .get(0)
        .load32u(4 * i)
        .or()
        .set(1);
    c.get(1).eqz();
  });

  mb.define("fp_eq", [I64], (c) => {
    c.i64(0n).set(2);
    for (let i = 0; i < LIMBS; i++)
      c.get(2)
        .get(0)
        .load32u(4 * i)
        .get(1)
        .load32u(4 * i)
        .sub()
        .or()
        .set(2);
    c.get(2).eqz();
  });

  // ---- fused Fp2 multiplication and squaring ----------------------------------------------
  //
  // Both Fp2 coefficients are computed in one pass over the product columns with a single
  // Montgomery reduction each (lazy reduction): fp2_mul uses Karatsuba,
  //   c0 = a0 b0 - a1 b1 + M,  c1 = (a0 + a1)(b0 + b1) - a0 b0 - a1 b1,
  // where M = p * 2^384 (a multiple of p above any a1 b1) keeps c0's total positive; column
  // sums may be negative, so carries use arithmetic shifts. fp2_sqr uses
  //   c0 = (a0 + a1)(a0 + p - a1),  c1 = a0 (2 a1).
  // Column magnitudes stay below 2^63 (at most 14 products of < 2^58, plus 14 of < 2^56).
  const Mlimbs: bigint[] = [];
  for (let i = 0, x = P << 384n; i < 2 * LIMBS; i++, x >>= BigInt(LIMB_BITS)) Mlimbs.push(x & MASK);

  /** Columns k = 0..26 with two interleaved Montgomery reductions; `column(c, k)` leaves
   *  [contribution to lane 0, contribution to lane 1] via the callback's own locals. */
  function twoLaneMont(
    c: Code,
    L: { M0: number; M1: number; T0: number; T1: number; R0: number; R1: number; D: number; BORROW: number; TMP: number },
    column: (c: Code, k: number, lane: 0 | 1) => void,
    extraTop: [bigint, bigint],
  ): void {
    c.i64(0n).set(L.T0).i64(0n).set(L.T1);
    for (let k = 0; k <= 2 * LIMBS - 2; k++) {
      for (const lane of [0, 1] as const) {
        const T = lane ? L.T1 : L.T0;
        const M = lane ? L.M1 : L.M0;
        const Rr = lane ? L.R1 : L.R0;
        const terms: ((c: Code) => void)[] = [(c) => c.get(T), (c) => column(c, k, lane)];
        for (let i = Math.max(0, k - LIMBS + 1); i <= Math.min(k - 1, LIMBS - 1); i++)
          terms.push((c) =>
            c
              .get(M + i)
              .i64(pl[k - i])
              .mul(),
          );
        sumTree(c, terms);
        if (k < LIMBS) {
          c.tee(T)
            .i64(MASK)
            .and()
            .i64(n0)
            .mul()
            .i64(MASK)
            .and()
            .set(M + k);
          c.get(T)
            .get(M + k)
            .i64(pl[0])
            .mul()
            .add()
            .i64(BigInt(LIMB_BITS))
            .shrS()
            .set(T);
        } else {
          c.tee(T)
            .i64(MASK)
            .and()
            .set(Rr + k - LIMBS);
          c.get(T).i64(BigInt(LIMB_BITS)).shrS().set(T);
        }
      }
    }
    c.get(L.T0)
      .i64(extraTop[0])
      .add()
      .set(L.R0 + LIMBS - 1);
    c.get(L.T1)
      .i64(extraTop[1])
      .add()
      .set(L.R1 + LIMBS - 1);
    condSubStore(c, L.R0, L.D, L.BORROW, L.TMP, 0);
    condSubStore(c, L.R1, L.D, L.BORROW, L.TMP, FP_BYTES);
  }

  function products(c: Code, x: number, y: number, k: number): boolean {
    const ts: ((c: Code) => void)[] = [];
    for (let i = Math.max(0, k - LIMBS + 1); i <= Math.min(k, LIMBS - 1); i++)
      ts.push((c) =>
        c
          .get(x + i)
          .get(y + k - i)
          .mul(),
      );
    if (!ts.length) return false;
    sumTree(c, ts);
    return true;
  }

  {
    let n = 3;
    const blk = (len: number) => {
      const at = n;
      n += len;
      return at;
    };
    const A0 = blk(LIMBS),
      A1 = blk(LIMBS),
      B0 = blk(LIMBS),
      B1 = blk(LIMBS),
      S = blk(LIMBS),
      U = blk(LIMBS);
    const M0 = blk(LIMBS),
      M1 = blk(LIMBS),
      R0 = blk(LIMBS),
      R1 = blk(LIMBS),
      D = blk(LIMBS);
    const T0 = blk(1),
      T1 = blk(1),
      BORROW = blk(1),
      TMP = blk(1),
      X0 = blk(1),
      X1 = blk(1);
    mb.define("fp2_mul", new Array(n - 3).fill(I64), (c) => {
      for (let i = 0; i < LIMBS; i++) {
        c.get(1)
          .load32u(4 * i)
          .set(A0 + i);
        c.get(1)
          .load32u(FP_BYTES + 4 * i)
          .set(A1 + i);
        c.get(2)
          .load32u(4 * i)
          .set(B0 + i);
        c.get(2)
          .load32u(FP_BYTES + 4 * i)
          .set(B1 + i);
        c.get(A0 + i)
          .get(A1 + i)
          .add()
          .set(S + i);
        c.get(B0 + i)
          .get(B1 + i)
          .add()
          .set(U + i);
      }
      twoLaneMont(
        c,
        { M0, M1, T0, T1, R0, R1, D, BORROW, TMP },
        (c, k, lane) => {
          if (lane === 0) {
            // x0 = sum a0 b0, x1 = sum a1 b1 (kept for lane 1); lane 0 gets x0 - x1 + M_k.
            if (!products(c, A0, B0, k)) c.i64(0n);
            c.set(X0);
            if (!products(c, A1, B1, k)) c.i64(0n);
            c.set(X1);
            c.get(X0).get(X1).sub().i64(Mlimbs[k]).add();
          } else {
            if (!products(c, S, U, k)) c.i64(0n);
            c.get(X0).sub().get(X1).sub();
          }
        },
        [Mlimbs[2 * LIMBS - 1], 0n],
      );
    });
  }

  {
    let n = 2;
    const blk = (len: number) => {
      const at = n;
      n += len;
      return at;
    };
    const A0 = blk(LIMBS),
      A1 = blk(LIMBS),
      S = blk(LIMBS),
      Dd = blk(LIMBS),
      A12 = blk(LIMBS);
    const M0 = blk(LIMBS),
      M1 = blk(LIMBS),
      R0 = blk(LIMBS),
      R1 = blk(LIMBS),
      D = blk(LIMBS);
    const T0 = blk(1),
      T1 = blk(1),
      BORROW = blk(1),
      TMP = blk(1);
    mb.define("fp2_sqr", new Array(n - 2).fill(I64), (c) => {
      for (let i = 0; i < LIMBS; i++) {
        c.get(1)
          .load32u(4 * i)
          .set(A0 + i);
        c.get(1)
          .load32u(FP_BYTES + 4 * i)
          .set(A1 + i);
        c.get(A0 + i)
          .get(A1 + i)
          .add()
          .set(S + i);
        c.get(A0 + i)
          .i64(pl[i])
          .add()
          .get(A1 + i)
          .sub()
          .set(Dd + i);
        c.get(A1 + i)
          .get(A1 + i)
          .add()
          .set(A12 + i);
      }
      twoLaneMont(
        c,
        { M0, M1, T0, T1, R0, R1, D, BORROW, TMP },
        (c, k, lane) => {
          if (!(lane === 0 ? products(c, S, Dd, k) : products(c, A0, A12, k))) c.i64(0n);
        },
        [0n, 0n],
      );
    });
  }

  // ---- three-address functions -------------------------------------------------------------

  type Fn3 = {
    name: string;
    params: number;
    result?: "status";
    body: (tmp: (bytes: number) => Ptr) => Op[];
    ret?: (tmp: (bytes: number) => Ptr) => [Ptr, Ptr];
  };
  const fns: Fn3[] = [];
  const def = (name: string, params: number, body: Fn3["body"]) => fns.push({ name, params, body });

  const F = FP_BYTES;
  const F2 = FP2_BYTES;
  const F6 = FP6_BYTES;
  const r = arg(0);
  const a = arg(1);
  const b = arg(2);
  const ZERO = abs(zero);

  // -- Fp2 = Fp[u]/(u^2 + 1)
  def("fp2_copy", 2, () => [
    ["fp_copy", r, a],
    ["fp_copy", off(r, F), off(a, F)],
  ]);
  def("fp2_conj", 2, () => [
    ["fp_copy", r, a],
    ["fp_sub", off(r, F), ZERO, off(a, F)],
  ]);
  // Fp2 times an Fp element at b.
  def("fp2_mul_fp", 3, () => [
    ["fp_mul", r, a, b],
    ["fp_mul", off(r, F), off(a, F), b],
  ]);

  // -- Fp6 = Fp2[v]/(v^3 - xi)
  def("fp6_copy", 2, () => [0, 1, 2].map((i): Op => ["fp2_copy", off(r, i * F2), off(a, i * F2)]));
  // Karatsuba (as noble): c0 = ((a1+a2)(b1+b2) - t1 - t2) xi + t0, c1 = (a0+a1)(b0+b1) - t0 - t1 + xi t2,
  // c2 = (a0+a2)(b0+b2) - t0 + t1 - t2
  def("fp6_mul", 3, (t) => {
    const t0 = t(F2),
      t1 = t(F2),
      t2 = t(F2),
      x = t(F2),
      y = t(F2),
      c0 = t(F2),
      c1 = t(F2),
      c2 = t(F2);
    const [a0, a1, a2] = [0, 1, 2].map((i) => off(a, i * F2));
    const [b0, b1, b2] = [0, 1, 2].map((i) => off(b, i * F2));
    return [
      ["fp2_mul", t0, a0, b0],
      ["fp2_mul", t1, a1, b1],
      ["fp2_mul", t2, a2, b2],
      ["fp2_add", x, a1, a2],
      ["fp2_add", y, b1, b2],
      ["fp2_mul", c0, x, y],
      ["fp2_sub", c0, c0, t1],
      ["fp2_sub", c0, c0, t2],
      ["fp2_mul_nr", c0, c0],
      ["fp2_add", c0, c0, t0],
      ["fp2_add", x, a0, a1],
      ["fp2_add", y, b0, b1],
      ["fp2_mul", c1, x, y],
      ["fp2_sub", c1, c1, t0],
      ["fp2_sub", c1, c1, t1],
      ["fp2_mul_nr", x, t2],
      ["fp2_add", c1, c1, x],
      ["fp2_add", x, a0, a2],
      ["fp2_add", y, b0, b2],
      ["fp2_mul", c2, x, y],
      ["fp2_sub", c2, c2, t0],
      ["fp2_add", c2, c2, t1],
      ["fp2_sub", c2, c2, t2],
      ["fp2_copy", off(r, 0), c0],
      ["fp2_copy", off(r, F2), c1],
      ["fp2_copy", off(r, 2 * F2), c2],
    ];
  });
  // times v: (a0, a1, a2) -> (xi a2, a0, a1)
  def("fp6_mul_nr", 2, (t) => {
    const x = t(F2);
    return [
      ["fp2_mul_nr", x, off(a, 2 * F2)],
      ["fp2_copy", off(r, 2 * F2), off(a, F2)],
      ["fp2_copy", off(r, F2), a],
      ["fp2_copy", r, x],
    ];
  });

  // Sparse products for Miller-loop lines (noble's mul014ByLine): a * (b0 + b1 v) and a * (b1 v).
  def("fp6_mul01", 4, (t) => {
    const b0 = arg(2),
      b1 = arg(3);
    const t0 = t(F2),
      t1 = t(F2),
      x = t(F2),
      y = t(F2),
      z = t(F2),
      c0 = t(F2),
      c1 = t(F2),
      c2 = t(F2);
    const [a0, a1, a2] = [0, 1, 2].map((i) => off(a, i * F2));
    return [
      ["fp2_mul", t0, a0, b0],
      ["fp2_mul", t1, a1, b1],
      ["fp2_add", x, a1, a2],
      ["fp2_mul", x, x, b1],
      ["fp2_sub", x, x, t1],
      ["fp2_mul_nr", x, x],
      ["fp2_add", c0, x, t0],
      ["fp2_add", y, b0, b1],
      ["fp2_add", z, a0, a1],
      ["fp2_mul", y, y, z],
      ["fp2_sub", y, y, t0],
      ["fp2_sub", c1, y, t1],
      ["fp2_add", z, a0, a2],
      ["fp2_mul", z, z, b0],
      ["fp2_sub", z, z, t0],
      ["fp2_add", c2, z, t1],
      ["fp2_copy", off(r, 0), c0],
      ["fp2_copy", off(r, F2), c1],
      ["fp2_copy", off(r, 2 * F2), c2],
    ];
  });
  def("fp6_mul1", 3, (t) => {
    const c0 = t(F2),
      c1 = t(F2),
      c2 = t(F2);
    return [
      ["fp2_mul", c0, off(a, 2 * F2), b],
      ["fp2_mul_nr", c0, c0],
      ["fp2_mul", c1, a, b],
      ["fp2_mul", c2, off(a, F2), b],
      ["fp2_copy", off(r, 0), c0],
      ["fp2_copy", off(r, F2), c1],
      ["fp2_copy", off(r, 2 * F2), c2],
    ];
  });

  // -- Fp12 = Fp6[w]/(w^2 - v)
  // c0 = a0 b0 + v a1 b1, c1 = (a0 + a1)(b0 + b1) - a0 b0 - a1 b1
  def("fp12_mul", 3, (t) => {
    const t1 = t(F6),
      t2 = t(F6),
      x = t(F6),
      y = t(F6);
    return [
      ["fp6_mul", t1, a, b],
      ["fp6_mul", t2, off(a, F6), off(b, F6)],
      ["fp6_add", x, a, off(a, F6)],
      ["fp6_add", y, b, off(b, F6)],
      ["fp6_mul", x, x, y],
      ["fp6_sub", x, x, t1],
      ["fp6_sub", off(r, F6), x, t2],
      ["fp6_mul_nr", t2, t2],
      ["fp6_add", r, t1, t2],
    ];
  });
  // c0 = (a0 + v a1)(a0 + a1) - ab - v ab, c1 = 2 ab, ab = a0 a1
  def("fp12_sqr", 2, (t) => {
    const ab = t(F6),
      x = t(F6),
      y = t(F6);
    return [
      ["fp6_mul", ab, a, off(a, F6)],
      ["fp6_mul_nr", x, off(a, F6)],
      ["fp6_add", x, x, a],
      ["fp6_add", y, a, off(a, F6)],
      ["fp6_mul", x, x, y],
      ["fp6_sub", x, x, ab],
      ["fp6_mul_nr", y, ab],
      ["fp6_sub", r, x, y],
      ["fp6_add", off(r, F6), ab, ab],
    ];
  });
  // f * (o0 + o1 w^2... ) for a line with nonzero slots 0, 1, 4 (multiplicative twist):
  // t0 = f0 * (o0, o1), t1 = f1 * (o4 v), c0 = t0 + v t1, c1 = (f0 + f1)(o0, o1 + o4) - t0 - t1
  def("fp12_mul014", 5, (t) => {
    const o0 = arg(2),
      o1 = arg(3),
      o4 = arg(4);
    const t0 = t(F6),
      t1 = t(F6),
      s6 = t(F6),
      o14 = t(F2),
      t2 = t(F6),
      c0 = t(F6);
    return [
      ["fp6_mul01", t0, a, o0, o1],
      ["fp6_mul1", t1, off(a, F6), o4],
      ["fp6_add", s6, a, off(a, F6)],
      ["fp2_add", o14, o1, o4],
      ["fp6_mul01", t2, s6, o0, o14],
      ["fp6_sub", t2, t2, t0],
      ["fp6_sub", off(r, F6), t2, t1],
      ["fp6_mul_nr", c0, t1],
      ["fp6_add", r, c0, t0],
    ];
  });
  def("fp12_conj", 2, () => [
    ["fp6_copy", r, a],
    ["fp6_neg", off(r, F6), off(a, F6)],
  ]);
  def("fp12_copy", 2, () => [
    ["fp6_copy", r, a],
    ["fp6_copy", off(r, F6), off(a, F6)],
  ]);
  // Granger-Scott cyclotomic squaring, as backend/cyclotomic.ts (valid inside GT).
  def("fp12_cyc_sqr", 2, (t) => {
    const c00 = off(a, 0),
      c01 = off(a, F2),
      c02 = off(a, 2 * F2);
    const c10 = off(a, F6),
      c11 = off(a, F6 + F2),
      c12 = off(a, F6 + 2 * F2);
    const out = t(2 * F6);
    const ops: Op[] = [];
    // Fp4Square(x, y): first = xi y^2 + x^2, second = (x + y)^2 - x^2 - y^2
    const fp4 = (x: Ptr, y: Ptr): [Ptr, Ptr] => {
      const x2 = t(F2),
        y2 = t(F2),
        first = t(F2),
        second = t(F2);
      ops.push(
        ["fp2_sqr", x2, x],
        ["fp2_sqr", y2, y],
        ["fp2_mul_nr", first, y2],
        ["fp2_add", first, first, x2],
        ["fp2_add", second, x, y],
        ["fp2_sqr", second, second],
        ["fp2_sub", second, second, x2],
        ["fp2_sub", second, second, y2],
      );
      return [first, second];
    };
    const [t3, t4] = fp4(c00, c11);
    const [t5, t6] = fp4(c10, c02);
    const [t7, t8] = fp4(c01, c12);
    const t9 = t(F2);
    ops.push(["fp2_mul_nr", t9, t8]);
    // 2 (t - c) + t  and  2 (t + c) + t
    const minus = (dst: Ptr, tv: Ptr, cv: Ptr) => {
      const u = t(F2);
      ops.push(["fp2_sub", u, tv, cv], ["fp2_add", u, u, u], ["fp2_add", dst, u, tv]);
    };
    const plus = (dst: Ptr, tv: Ptr, cv: Ptr) => {
      const u = t(F2);
      ops.push(["fp2_add", u, tv, cv], ["fp2_add", u, u, u], ["fp2_add", dst, u, tv]);
    };
    minus(off(out, 0), t3, c00);
    minus(off(out, F2), t5, c01);
    minus(off(out, 2 * F2), t7, c02);
    plus(off(out, F6), t9, c10);
    plus(off(out, F6 + F2), t4, c11);
    plus(off(out, F6 + 2 * F2), t6, c12);
    ops.push(["fp12_copy", r, out]);
    return ops;
  });
  // Frobenius: coefficient of a_ij v^i w^j = a_ij w^(2i+j) is conj^k(a_ij) * gamma_k^(2i+j);
  // b points at gamma^1..gamma^5 for this k.
  for (const odd of [true, false]) {
    def(odd ? "fp12_frob_odd" : "fp12_frob_even", 3, (t) => {
      const out = t(2 * F6);
      const ops: Op[] = [];
      for (let j = 0; j < 2; j++)
        for (let i = 0; i < 3; i++) {
          const src = off(a, j * F6 + i * F2);
          const dst = off(out, j * F6 + i * F2);
          const e = 2 * i + j;
          ops.push([odd ? "fp2_conj" : "fp2_copy", dst, src]);
          if (e > 0) ops.push(["fp2_mul", dst, dst, off(b, (e - 1) * F2)]);
        }
      ops.push(["fp12_copy", r, out]);
      return ops;
    });
  }

  // -- G1 in Jacobian coordinates (y^2 = x^3 + 4, a = 0): X|Y|Z, 3 * 56 bytes
  curveFunctions("g1", "fp", F);
  // -- G2 over Fp2
  curveFunctions("g2", "fp2", F2);

  function curveFunctions(g: string, f: string, S: number): void {
    const X = (p: Ptr) => p;
    const Y = (p: Ptr) => off(p, S);
    const Z = (p: Ptr) => off(p, 2 * S);
    // dbl-2009-l: A = X^2, B = Y^2, C = B^2, D = 2((X + B)^2 - A - C), E = 3A, F = E^2,
    // X3 = F - 2D, Y3 = E(D - X3) - 8C, Z3 = 2 Y Z
    def(`${g}_dbl`, 2, (t) => {
      const A = t(S),
        B = t(S),
        C = t(S),
        D = t(S),
        E = t(S),
        Fv = t(S),
        Z3 = t(S),
        u = t(S);
      return [
        [`${f}_sqr`, A, X(a)],
        [`${f}_sqr`, B, Y(a)],
        [`${f}_sqr`, C, B],
        [`${f}_add`, D, X(a), B],
        [`${f}_sqr`, D, D],
        [`${f}_sub`, D, D, A],
        [`${f}_sub`, D, D, C],
        [`${f}_add`, D, D, D],
        [`${f}_add`, E, A, A],
        [`${f}_add`, E, E, A],
        [`${f}_sqr`, Fv, E],
        [`${f}_mul`, Z3, Y(a), Z(a)],
        [`${f}_add`, Z3, Z3, Z3],
        [`${f}_add`, u, D, D],
        [`${f}_sub`, X(r), Fv, u],
        [`${f}_sub`, u, D, X(r)],
        [`${f}_mul`, u, E, u],
        [`${f}_add`, C, C, C],
        [`${f}_add`, C, C, C],
        [`${f}_add`, C, C, C],
        [`${f}_sub`, Y(r), u, C],
        [`${f}_copy`, Z(r), Z3],
      ];
    });
    // madd-2007-bl (Q affine): Z1Z1 = Z1^2, U2 = X2 Z1Z1, S2 = Y2 Z1 Z1Z1, H = U2 - X1, HH = H^2,
    // I = 4 HH, J = H I, rr = 2 (S2 - Y1), V = X1 I, X3 = rr^2 - J - 2V, Y3 = rr (V - X3) - 2 Y1 J,
    // Z3 = (Z1 + H)^2 - Z1Z1 - HH. Status: bit 0 = (H == 0), bit 1 = (rr == 0); the caller
    // handles P = infinity and the H == 0 cases (doubling or cancellation).
    const maddBody = (t: (n: number) => Ptr): Op[] => {
      const Z1Z1 = t(S),
        U2 = t(S),
        S2 = t(S),
        HH = t(S),
        I = t(S),
        J = t(S),
        V = t(S),
        u = t(S),
        X3 = t(S),
        Y3 = t(S),
        Z3 = t(S);
      const H = statusH(g, t, S),
        RR = statusR(g, t, S);
      return [
        [`${f}_sqr`, Z1Z1, Z(a)],
        [`${f}_mul`, U2, X(b), Z1Z1],
        [`${f}_mul`, S2, Y(b), Z(a)],
        [`${f}_mul`, S2, S2, Z1Z1],
        [`${f}_sub`, H, U2, X(a)],
        [`${f}_sqr`, HH, H],
        [`${f}_add`, I, HH, HH],
        [`${f}_add`, I, I, I],
        [`${f}_mul`, J, H, I],
        [`${f}_sub`, RR, S2, Y(a)],
        [`${f}_add`, RR, RR, RR],
        [`${f}_mul`, V, X(a), I],
        [`${f}_sqr`, X3, RR],
        [`${f}_sub`, X3, X3, J],
        [`${f}_sub`, X3, X3, V],
        [`${f}_sub`, X3, X3, V],
        [`${f}_sub`, u, V, X3],
        [`${f}_mul`, u, RR, u],
        [`${f}_mul`, Y3, Y(a), J],
        [`${f}_add`, Y3, Y3, Y3],
        [`${f}_sub`, Y3, u, Y3],
        [`${f}_add`, Z3, Z(a), H],
        [`${f}_sqr`, Z3, Z3],
        [`${f}_sub`, Z3, Z3, Z1Z1],
        [`${f}_sub`, Z3, Z3, HH],
        [`${f}_copy`, X(r), X3],
        [`${f}_copy`, Y(r), Y3],
        [`${f}_copy`, Z(r), Z3],
      ];
    };
    fns.push({ name: `${g}_madd`, params: 3, result: "status", body: maddBody, ret: () => [statusPtrs.get(`${g}H`) as Ptr, statusPtrs.get(`${g}R`) as Ptr] });
    // add-2007-bl (both Jacobian): Z1Z1, Z2Z2, U1 = X1 Z2Z2, U2 = X2 Z1Z1, S1 = Y1 Z2 Z2Z2,
    // S2 = Y2 Z1 Z1Z1, H = U2 - U1, I = (2H)^2, J = H I, rr = 2 (S2 - S1), V = U1 I,
    // X3 = rr^2 - J - 2V, Y3 = rr (V - X3) - 2 S1 J, Z3 = ((Z1 + Z2)^2 - Z1Z1 - Z2Z2) H
    fns.push({
      name: `${g}_add`,
      params: 3,
      result: "status",
      body: (t) => {
        const Z1Z1 = t(S),
          Z2Z2 = t(S),
          U1 = t(S),
          U2 = t(S),
          S1 = t(S),
          S2 = t(S),
          I = t(S),
          J = t(S),
          V = t(S),
          u = t(S),
          X3 = t(S),
          Y3 = t(S),
          Z3 = t(S);
        const H = statusH(`${g}a`, t, S),
          RR = statusR(`${g}a`, t, S);
        return [
          [`${f}_sqr`, Z1Z1, Z(a)],
          [`${f}_sqr`, Z2Z2, Z(b)],
          [`${f}_mul`, U1, X(a), Z2Z2],
          [`${f}_mul`, U2, X(b), Z1Z1],
          [`${f}_mul`, S1, Y(a), Z(b)],
          [`${f}_mul`, S1, S1, Z2Z2],
          [`${f}_mul`, S2, Y(b), Z(a)],
          [`${f}_mul`, S2, S2, Z1Z1],
          [`${f}_sub`, H, U2, U1],
          [`${f}_add`, I, H, H],
          [`${f}_sqr`, I, I],
          [`${f}_mul`, J, H, I],
          [`${f}_sub`, RR, S2, S1],
          [`${f}_add`, RR, RR, RR],
          [`${f}_mul`, V, U1, I],
          [`${f}_sqr`, X3, RR],
          [`${f}_sub`, X3, X3, J],
          [`${f}_sub`, X3, X3, V],
          [`${f}_sub`, X3, X3, V],
          [`${f}_sub`, u, V, X3],
          [`${f}_mul`, u, RR, u],
          [`${f}_mul`, Y3, S1, J],
          [`${f}_add`, Y3, Y3, Y3],
          [`${f}_sub`, Y3, u, Y3],
          [`${f}_add`, Z3, Z(a), Z(b)],
          [`${f}_sqr`, Z3, Z3],
          [`${f}_sub`, Z3, Z3, Z1Z1],
          [`${f}_sub`, Z3, Z3, Z2Z2],
          [`${f}_mul`, Z3, Z3, H],
          [`${f}_copy`, X(r), X3],
          [`${f}_copy`, Y(r), Y3],
          [`${f}_copy`, Z(r), Z3],
        ];
      },
      ret: () => [statusPtrs.get(`${g}aH`) as Ptr, statusPtrs.get(`${g}aR`) as Ptr],
    });
  }

  // Status operands (H and rr) are remembered by name so the epilogue can test them.
  const statusPtrs = new Map<string, Ptr>();
  function statusH(key: string, t: (n: number) => Ptr, S: number): Ptr {
    const p = t(S);
    statusPtrs.set(`${key}H`, p);
    return p;
  }
  function statusR(key: string, t: (n: number) => Ptr, S: number): Ptr {
    const p = t(S);
    statusPtrs.set(`${key}R`, p);
    return p;
  }

  // Fixed-exponent powers as straight-line call sequences (one JS -> wasm call instead of ~570):
  // (p - 3) / 4 for sqrt_ratio in hash_to_curve, (p + 1) / 4 for square roots when decoding.
  for (const [name, e] of [
    ["fp_pow_sqrt_ratio", (P - 3n) / 4n],
    ["fp_pow_sqrt", (P + 1n) / 4n],
  ] as const) {
    def(name, 2, (t) => {
      const acc = t(F);
      const ops: Op[] = [["fp_copy", acc, a]];
      for (let i = e.toString(2).length - 2; i >= 0; i--) {
        ops.push(["fp_sqr", acc, acc]);
        if ((e >> BigInt(i)) & 1n) ops.push(["fp_mul", acc, acc, a]);
      }
      ops.push(["fp_copy", r, acc]);
      return ops;
    });
  }

  // Declare all three-address functions, then emit them.
  for (const fn of fns) mb.declare(fn.name, new Array(fn.params).fill(I32), fn.result ? [I32] : []);
  const isZeroFn = mb.index("fp_is_zero");
  for (const fn of fns) {
    const tmp = (bytes: number): Ptr => abs(alloc(bytes));
    const ops = fn.body(tmp);
    const statusOf = fn.ret?.(tmp);
    const isFp2 = fn.name.startsWith("g2_");
    mb.define(fn.name, [], (c) => {
      for (const [name, ...ptrs] of ops) {
        for (const p of ptrs) emitPtr(c, p);
        c.call(mb.index(name));
      }
      if (statusOf) {
        // status = isZero(H) | isZero(rr) << 1 (for Fp2: both coordinates zero).
        const zeroTest = (p: Ptr) => {
          emitPtr(c, p);
          c.call(isZeroFn);
          if (isFp2) {
            emitPtr(c, off(p, FP_BYTES));
            c.call(isZeroFn);
            c.i32And();
          }
        };
        zeroTest(statusOf[0]);
        zeroTest(statusOf[1]);
        // Parameter 0 is dead by now: reuse it to double the second flag.
        c.tee(0).get(0).i32Add().i32Or();
      }
    });
  }

  const heap = (brk + 4095) & ~4095;
  return { bytes: mb.build(), layout: { zero, one, frob, heap, memBytes: PAGES * 65536 } };
}
