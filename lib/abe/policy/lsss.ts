/**
 * Compilation of a policy to a linear secret-sharing scheme (LSSS) over Zr with the
 * Lewko-Waters algorithm (Lewko & Waters, "Decentralizing Attribute-Based Encryption",
 * EUROCRYPT 2011, Appendix G), extended with Shamir rows for threshold gates; shares and
 * reconstruction coefficients.
 */
import { bls12_381_Fr as Fr } from "@noble/curves/bls12-381.js";
import { type PolicyNode, resolvePolicy } from "./syntax";

/** r, the order of the BLS12-381 groups; all LSSS arithmetic is mod r. */
export const CURVE_ORDER: bigint = Fr.ORDER;

/**
 * An LSSS (M, rho): row x of M belongs to attribute rho[x]; entries are reduced into [0, r).
 * Shares of a secret s are lambda_x = M_x . v for v = (s, v2, ..., vl).
 * `policy` is the normalized tree the rows were compiled from (row x = x-th leaf in
 * depth-first order); reconstruct uses it to pick few rows.
 */
export type Lsss = { M: bigint[][]; rho: string[]; policy?: PolicyNode };

/** How a gate is compiled: 1-of-n is an OR and n-of-n an AND (both cheaper than Shamir rows). */
function gateShape(n: Exclude<PolicyNode, { kind: "attr" }>): "and" | "or" | "shamir" {
  if (n.kind !== "threshold") return n.kind;
  if (n.k === 1) return "or";
  if (n.k === n.children.length) return "and";
  return "shamir";
}

/**
 * Lewko-Waters: the root gets (1); OR children copy the parent vector; AND children get
 * v||1, (0..)||-1||1, ..., (0..)||-1 in fresh columns (n-ary AND = nested binary ANDs);
 * a k-of-n gate gives child j the vector v||(j, j^2, ..., j^(k-1)) in k-1 fresh columns, so
 * the child shares are f(j) for a random f of degree k-1 with f(0) the parent share.
 */
export function compileLsss(node: PolicyNode | string): Lsss {
  const policy = resolvePolicy(node);
  const rows: { name: string; vec: Map<number, bigint> }[] = [];
  let columns = 1;
  const visit = (n: PolicyNode, v: Map<number, bigint>): void => {
    if (n.kind === "attr") {
      rows.push({ name: n.name, vec: v });
      return;
    }
    const shape = gateShape(n);
    const kids = n.children;
    if (shape === "or") {
      for (const c of kids) visit(c, v);
    } else if (shape === "and") {
      const first = columns;
      columns += kids.length - 1;
      kids.forEach((c, i) => {
        const u = i === 0 ? new Map(v) : new Map<number, bigint>();
        if (i > 0) u.set(first + i - 1, Fr.neg(1n));
        if (i < kids.length - 1) u.set(first + i, 1n);
        visit(c, u);
      });
    } else {
      const k = n.kind === "threshold" ? n.k : kids.length;
      const first = columns;
      columns += k - 1;
      kids.forEach((c, i) => {
        const j = BigInt(i + 1);
        const u = new Map(v);
        let p = 1n;
        for (let t = 0; t < k - 1; t++) {
          p = Fr.mul(p, j);
          u.set(first + t, p);
        }
        visit(c, u);
      });
    }
  };
  visit(policy, new Map([[0, 1n]]));
  const M = rows.map((row) => Array.from({ length: columns }, (_, col) => row.vec.get(col) ?? 0n));
  return { M, rho: rows.map((r) => r.name), policy };
}

/** lambda_x = M_x . v mod r for every row: the shares of v[0]. */
export function lsssShares(lsss: Lsss, v: readonly bigint[]): bigint[] {
  return lsss.M.map((row) => dot(row, v));
}

function dot(row: readonly bigint[], v: readonly bigint[]): bigint {
  let acc = 0n;
  for (let i = 0; i < row.length; i++) if (row[i] !== 0n) acc = Fr.add(acc, Fr.mul(row[i], v[i] ?? 0n));
  return acc;
}

/** Coefficients c_x with sum over rows of c_x M_x = (1, 0, ..., 0) mod r. */
export type Reconstruction = { rows: number[]; coeffs: bigint[] };

/**
 * Reconstruction coefficients from rows whose attribute is held, or null when the attributes
 * do not satisfy the policy. With the policy tree (as compileLsss returns) this picks a
 * satisfying set with the fewest rows (fewest pairings); without it, Gaussian elimination.
 */
export function reconstruct(lsss: Lsss, attrs: Iterable<string>): Reconstruction | null {
  const held = new Set(attrs);
  if (lsss.policy !== undefined) {
    const plan = planRows(lsss.policy, held, { next: 0 });
    if (plan === null) return null;
    const order = [...plan.entries()].sort((a, b) => a[0] - b[0]);
    return { rows: order.map((e) => e[0]), coeffs: order.map((e) => e[1]) };
  }
  return solveLinear(lsss, held);
}

type RowPlan = Map<number, bigint>; // row index -> coefficient

/**
 * Cheapest satisfying rows under node n (row numbers from cursor), with coefficients that
 * rebuild n's vector: AND children all with coefficient 1, OR one child, Shamir rows the
 * Lagrange coefficients at 0 of the chosen k children. Returns null when unsatisfied.
 */
function planRows(n: PolicyNode, held: Set<string>, cursor: { next: number }): RowPlan | null {
  if (n.kind === "attr") {
    const row = cursor.next++;
    return held.has(n.name) ? new Map([[row, 1n]]) : null;
  }
  const plans = n.children.map((c) => planRows(c, held, cursor));
  const shape = gateShape(n);
  if (shape === "and")
    return plans.every((p) => p !== null)
      ? mergePlans(
          plans as RowPlan[],
          plans.map(() => 1n),
        )
      : null;
  const k = shape === "or" ? 1 : n.kind === "threshold" ? n.k : n.children.length;
  const ok = plans
    .map((p, i) => ({ p, j: i + 1 }))
    .filter((e): e is { p: RowPlan; j: number } => e.p !== null)
    .sort((a, b) => a.p.size - b.p.size || a.j - b.j)
    .slice(0, k);
  if (ok.length < k) return null;
  if (shape === "or") return ok[0].p;
  const xs = ok.map((e) => BigInt(e.j));
  return mergePlans(
    ok.map((e) => e.p),
    xs.map((_, i) => lagrangeAtZero(xs, i)),
  );
}

function mergePlans(plans: RowPlan[], scale: bigint[]): RowPlan {
  const out: RowPlan = new Map();
  plans.forEach((p, i) => {
    for (const [row, c] of p) out.set(row, Fr.add(out.get(row) ?? 0n, Fr.mul(c, scale[i])));
  });
  return out;
}

/** L_i(0) = prod_{m != i} x_m / (x_m - x_i) mod r: Lagrange coefficient at 0. */
export function lagrangeAtZero(xs: readonly bigint[], i: number): bigint {
  let num = 1n;
  let den = 1n;
  for (let m = 0; m < xs.length; m++) {
    if (m === i) continue;
    num = Fr.mul(num, xs[m]);
    den = Fr.mul(den, Fr.sub(xs[m], xs[i]));
  }
  return Fr.div(num, den);
}

/**
 * Solves sum_{x in S} c_x M_x = (1,0,...,0) over the held rows S by Gauss-Jordan elimination
 * mod r; free unknowns are set to 0, so at most rank(M_S) rows are used.
 */
function solveLinear(lsss: Lsss, held: Set<string>): Reconstruction | null {
  const S = lsss.rho.flatMap((name, x) => (held.has(name) ? [x] : []));
  const cols = lsss.M[0]?.length ?? 0;
  // Augmented system A c = e1: one equation per column of M, one unknown per held row.
  const A: bigint[][] = Array.from({ length: cols }, (_, j) => [...S.map((x) => Fr.create(lsss.M[x][j] ?? 0n)), j === 0 ? 1n : 0n]);
  const pivots: number[] = []; // pivots[r] = unknown whose pivot is in equation r
  let r = 0;
  for (let u = 0; u < S.length && r < cols; u++) {
    const p = A.findIndex((eq, i) => i >= r && eq[u] !== 0n);
    if (p < 0) continue;
    [A[r], A[p]] = [A[p], A[r]];
    const inv = Fr.inv(A[r][u]);
    A[r] = A[r].map((a) => Fr.mul(a, inv));
    for (let i = 0; i < cols; i++) {
      if (i === r || A[i][u] === 0n) continue;
      const f = A[i][u];
      A[i] = A[i].map((a, col) => Fr.sub(a, Fr.mul(f, A[r][col])));
    }
    pivots.push(u);
    r++;
  }
  // Consistent iff no remaining equation reads 0 = nonzero.
  for (let i = r; i < cols; i++) if (A[i][S.length] !== 0n) return null;
  const out: Reconstruction = { rows: [], coeffs: [] };
  pivots.forEach((u, i) => {
    const c = A[i][S.length];
    if (c !== 0n) {
      out.rows.push(S[u]);
      out.coeffs.push(c);
    }
  });
  const order = out.rows.map((_, i) => i).sort((a, b) => out.rows[a] - out.rows[b]);
  return { rows: order.map((i) => out.rows[i]), coeffs: order.map((i) => out.coeffs[i]) };
}
