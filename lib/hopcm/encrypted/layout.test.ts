// The slot layouts in plaintext: what the CSP computes on ciphertexts, slot for slot.
import { describe, expect, it } from "vitest";
import { mulberry32 } from "../prng";
import { weightedSumStep } from "../steps";
import { blocksOf, classLayout, classMask, featureColumn, rotateLeft, rotationPlan, rotationSteps } from "./layout";

const add = (a: Float64Array, b: Float64Array) => a.map((v, i) => v + b[i]);
const mul = (a: Float64Array, b: Float64Array) => a.map((v, i) => v * b[i]);

/** cspPrepare + cspWeightedSums on plain vectors (one block). */
function simulateSums(X: Float64Array, n: number, p: number, w: Float64Array, slots: number, baby?: number): Float64Array {
  const { classes, baby: B, giant: G } = classLayout(p, slots, baby);
  const [block] = blocksOf(n, slots);
  const x = Array.from({ length: p }, (_, l) => featureColumn(X, p, l, block, slots));
  const A: Float64Array[] = [];
  for (let b = 0; b < B; b++)
    for (let g = 0; g < G; g++) {
      let M = new Float64Array(slots); // M_s = sum_l mask_{l+s} * x_l
      for (let l = 0; l < p; l++) M = add(M, mul(classMask(slots, classes, l + b + B * g), x[l]));
      A[b * G + g] = add(rotateLeft(M, B * g), classMask(slots, classes, p + b)); // eq. A
    }
  const wcol = new Float64Array(slots);
  wcol.set(w.subarray(0, n));
  const W = Array.from({ length: G }, (_, g) => rotateLeft(wcol, B * g));
  let y = new Float64Array(slots);
  for (let b = 0; b < B; b++) {
    let inner = new Float64Array(slots);
    for (let g = 0; g < G; g++) inner = add(inner, mul(A[b * G + g], W[g]));
    y = add(y, rotateLeft(inner, b)); // eq. Y
  }
  for (let s = classes; s < slots; s *= 2) y = add(y, rotateLeft(y, s));
  return y;
}

describe("class layout (weighted sums)", () => {
  it("every slot of class c holds sum_j w_j x_jc, class p holds sum_j w_j, the rest 0", () => {
    const rng = mulberry32(3);
    for (const [n, p, slots, baby] of [
      [50, 5, 64, undefined],
      [64, 3, 64, undefined],
      [200, 20, 256, undefined],
      [200, 20, 256, 8],
      [31, 1, 32, undefined],
      [100, 7, 128, 1],
    ] as const) {
      const X = Float64Array.from({ length: n * p }, () => rng() * 2 - 1);
      const w = Float64Array.from({ length: n }, () => rng());
      const want = weightedSumStep(X, n, p, w, 1);
      const total = w.reduce((a, b) => a + b, 0);
      const y = simulateSums(X, n, p, w, slots, baby);
      const { classes } = classLayout(p, slots, baby);
      for (let t = 0; t < slots; t++) {
        const c = t % classes;
        const expected = c < p ? want[c] : c === p ? total : 0;
        expect(y[t]).toBeCloseTo(expected, 10);
      }
    }
  });

  it("chooses P = next power of two above p and B*G = P with B ~ sqrt(P)", () => {
    expect(classLayout(20, 4096)).toEqual({ p: 20, classes: 32, baby: 4, giant: 8 });
    expect(classLayout(30, 4096)).toEqual({ p: 30, classes: 32, baby: 4, giant: 8 });
    expect(classLayout(31, 4096)).toEqual({ p: 31, classes: 32, baby: 4, giant: 8 });
    expect(classLayout(32, 4096)).toEqual({ p: 32, classes: 64, baby: 8, giant: 8 });
    expect(classLayout(1, 4096)).toEqual({ p: 1, classes: 2, baby: 1, giant: 2 });
    expect(() => classLayout(64, 64)).toThrow(RangeError);
    expect(() => classLayout(5, 64, 3)).toThrow(RangeError);
  });
});

describe("blocks and rotations", () => {
  it("cuts records into column-major blocks of up to `slots` records", () => {
    expect(blocksOf(10, 4)).toEqual([
      { start: 0, size: 4 },
      { start: 4, size: 4 },
      { start: 8, size: 2 },
    ]);
    const X = Float64Array.from({ length: 10 * 3 }, (_, i) => i);
    expect(Array.from(featureColumn(X, 3, 1, { start: 8, size: 2 }, 4))).toEqual([25, 28, 0, 0]);
  });

  it("rotates left and plans rotations from the available Galois keys", () => {
    expect(Array.from(rotateLeft(Float64Array.from([0, 1, 2, 3]), 1))).toEqual([1, 2, 3, 0]);
    expect(Array.from(rotateLeft(Float64Array.from([0, 1, 2, 3]), -1))).toEqual([3, 0, 1, 2]);
    const steps = new Set(rotationSteps(4096));
    expect([...steps]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 16, 32, 64, 128, 256, 512, 1024, 2048]);
    expect(rotationPlan(5, 4096, steps)).toEqual([5]);
    expect(rotationPlan(24, 4096, steps)).toEqual([8, 16]);
    expect(rotationPlan(-1, 4096, steps)).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048]);
    expect(rotationPlan(4096, 4096, steps)).toEqual([]);
  });
});
