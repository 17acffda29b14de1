/**
 * A 2-D principal-component projection of records' numeric fields (z-scored), for the
 * researcher's scatter plot. Power iteration with deflation: enough for two components.
 */
import type { Row } from "./dataset";

export function numericColumnsOf(rows: readonly Row[], columns: readonly string[]): string[] {
  return columns.filter((c) => {
    let numbers = 0;
    for (const r of rows) if (typeof r[c] === "number") numbers++;
    return numbers >= Math.max(2, rows.length * 0.8);
  });
}

function topEigenvector(C: Float64Array, p: number, iterations = 200): Float64Array {
  let v = new Float64Array(p).map((_, i) => 1 / Math.sqrt(p) + i * 1e-3);
  for (let it = 0; it < iterations; it++) {
    const w = new Float64Array(p);
    for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) w[i] += C[i * p + j] * v[j];
    const norm = Math.hypot(...w) || 1;
    v = w.map((x) => x / norm);
  }
  return v;
}

export function pca2(rows: readonly Row[], columns: readonly string[]): Array<{ x: number; y: number }> {
  const p = columns.length;
  const n = rows.length;
  if (p === 0 || n === 0) return [];
  const X = new Float64Array(n * p);
  for (let j = 0; j < p; j++) {
    let sum = 0;
    let count = 0;
    for (const r of rows)
      if (typeof r[columns[j]] === "number") {
        sum += r[columns[j]] as number;
        count++;
      }
    const mean = count ? sum / count : 0;
    let ss = 0;
    for (const r of rows) if (typeof r[columns[j]] === "number") ss += ((r[columns[j]] as number) - mean) ** 2;
    const sd = Math.sqrt(ss / Math.max(1, count - 1)) || 1;
    rows.forEach((r, i) => (X[i * p + j] = typeof r[columns[j]] === "number" ? ((r[columns[j]] as number) - mean) / sd : 0));
  }
  const C = new Float64Array(p * p);
  for (let i = 0; i < n; i++) for (let a = 0; a < p; a++) for (let b = a; b < p; b++) C[a * p + b] += X[i * p + a] * X[i * p + b];
  for (let a = 0; a < p; a++) for (let b = 0; b < a; b++) C[a * p + b] = C[b * p + a];
  const v1 = topEigenvector(C, p);
  let lambda = 0;
  for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) lambda += v1[a] * C[a * p + b] * v1[b];
  const D = C.map((c, k) => c - lambda * v1[Math.floor(k / p)] * v1[k % p]);
  const v2 = topEigenvector(D, p);
  return rows.map((_, i) => {
    let x = 0;
    let y = 0;
    for (let j = 0; j < p; j++) {
      x += X[i * p + j] * v1[j];
      y += X[i * p + j] * v2[j];
    }
    return { x, y };
  });
}

/** Equal-width histogram of a numeric column. */
export function histogram(values: readonly number[], bins = 12): Array<{ bin: string; from: number; count: number }> {
  if (values.length === 0) return [];
  const min = Math.min(...values);
  const max = Math.max(...values);
  const width = (max - min) / bins || 1;
  const counts = new Array(bins).fill(0);
  for (const v of values) counts[Math.min(bins - 1, Math.floor((v - min) / width))]++;
  return counts.map((count, i) => ({ bin: (min + i * width).toPrecision(3), from: min + i * width, count }));
}
