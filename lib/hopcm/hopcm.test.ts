import { describe, expect, it } from "vitest";
import {
  answerRequest,
  HOPCM_DEFAULTS,
  hopcm,
  hopcmCoordinator,
  hopcmPredict,
  plaintextBackend,
  runHopcm,
  runHopcmAsync,
  type AsyncHopcmBackend,
  type HopcmBackend,
} from ".";
import { adjustedRandIndex, clusterSizes } from "./metrics";
import { mulberry32 } from "./prng";
import {
  allocMembershipBuffers,
  argmaxLabels,
  centersFromSums,
  distanceStep,
  etaStep,
  fcmMembershipStep,
  membershipStep,
  weightTotals,
  weightedSumStep,
} from "./steps";
import { makeBlobs } from "./synthetic";

const blobs = makeBlobs(3000, 10, 3, { seed: 11 });

describe("hopcm on synthetic blobs", () => {
  it("recovers well-separated blobs (ARI 1) with 3 non-empty clusters", () => {
    const r = hopcm(blobs.X, blobs.n, blobs.p, { k: 3 });
    expect(adjustedRandIndex(blobs.labels, r.labels)).toBe(1);
    expect(clusterSizes(r.labels, 3).every((s) => s > 0)).toBe(true);
    expect(r.converged).toBe(true);
    expect(r.warnings).toEqual([]);
    // each center lands near a true blob center
    for (let i = 0; i < 3; i++) {
      let best = Infinity;
      for (let c = 0; c < 3; c++) {
        let d = 0;
        for (let l = 0; l < 10; l++) d += (r.centers[i * 10 + l] - blobs.centers[c * 10 + l]) ** 2;
        best = Math.min(best, d);
      }
      expect(Math.sqrt(best)).toBeLessThan(0.2);
    }
  });

  it("recovers 5 blobs in 2-D", () => {
    const b = makeBlobs(2000, 2, 5, { seed: 4, spread: 20 });
    const r = hopcm(b.X, b.n, b.p, { k: 5 });
    expect(adjustedRandIndex(b.labels, r.labels)).toBeGreaterThan(0.99);
  });

  it("is deterministic for a fixed seed", () => {
    const a = hopcm(blobs.X, blobs.n, blobs.p, { k: 3, seed: 7 });
    const b = hopcm(blobs.X, blobs.n, blobs.p, { k: 3, seed: 7 });
    expect(Array.from(b.labels)).toEqual(Array.from(a.labels));
    expect(Array.from(b.centers)).toEqual(Array.from(a.centers));
    expect(Array.from(b.typicality)).toEqual(Array.from(a.typicality));
    expect(b.iterations).toBe(a.iterations);
    const c = hopcm(blobs.X, blobs.n, blobs.p, { k: 3, seed: 8 });
    expect(adjustedRandIndex(a.labels, c.labels)).toBe(1);
  });

  it("keeps a typicality matrix (k x n) in (0, 1] and memberships summing to 1", () => {
    const r = hopcm(blobs.X, blobs.n, blobs.p, { k: 3 });
    expect(r.typicality.length).toBe(3 * blobs.n);
    expect(r.typicality.every((t) => t > 0 && t <= 1)).toBe(true);
    for (let j = 0; j < blobs.n; j += 97) expect(r.membership[j] + r.membership[blobs.n + j] + r.membership[2 * blobs.n + j]).toBeCloseTo(1, 12);
    expect(r.mass.reduce((a, b) => a + b, 0)).toBeCloseTo(blobs.n, 6);
  });

  it("re-seeds clusters that FCM initialisation leaves coincident", () => {
    const p = blobs.p;
    const start = new Float64Array(3 * p);
    start.set(blobs.centers.subarray(0, p), 0);
    start.set(blobs.centers.subarray(0, p), p); // two identical starting centers
    start.set(blobs.centers.subarray(2 * p, 3 * p), 2 * p);
    const r = hopcm(blobs.X, blobs.n, p, { k: 3, initialCenters: start });
    expect(r.reseeds).toBeGreaterThanOrEqual(1);
    expect(adjustedRandIndex(blobs.labels, r.labels)).toBe(1);
  });

  it("predicts labels of new points with a fitted model", () => {
    const r = hopcm(blobs.X, blobs.n, blobs.p, { k: 3 });
    const pred = hopcmPredict(r, blobs.X, blobs.n);
    expect(Array.from(pred.labels)).toEqual(Array.from(r.labels));
    const fresh = makeBlobs(300, 10, 3, { seed: 11 }); // same generator seed: same blob centers
    expect(adjustedRandIndex(fresh.labels, hopcmPredict(r, fresh.X, fresh.n).labels)).toBe(1);
  });

  it("validates its inputs", () => {
    expect(() => hopcm(blobs.X, blobs.n, blobs.p, { k: 0 })).toThrow(/k must be/);
    expect(() => hopcm(blobs.X.subarray(0, 20), 2, 10, { k: 3 })).toThrow(/exceeds/);
    expect(() => hopcm(blobs.X, blobs.n, 7, { k: 3 })).toThrow(/expected n\*p/);
    expect(() => hopcm(blobs.X, blobs.n, blobs.p, { k: 3, m: 1 })).toThrow(/m must be > 1/);
    expect(() => hopcm(blobs.X, blobs.n, blobs.p, { k: 3, a: 0, b: 0 })).toThrow(/not both 0/);
    expect(() => hopcm(blobs.X, blobs.n, blobs.p, { k: 3, pointWeights: new Float64Array(3) })).toThrow(/pointWeights/);
  });
});

describe("step decomposition (the encrypted protocol's split)", () => {
  const n = 1200;
  const sub = makeBlobs(n, 6, 3, { seed: 21, spread: 3 }); // overlapping: a real possibilistic phase
  const { X, p } = sub;
  const k = 3;

  it("the exported step functions, composed by hand, reproduce the driver exactly", () => {
    const start = X.slice(0, k * p); // first three points as starting centers
    const opts = { ...HOPCM_DEFAULTS, k, initialCenters: start };
    const driver = hopcm(X, n, p, opts);
    expect(driver.reseeds + driver.shrinks + driver.softenings).toBe(0); // guard idle: plain loop below

    // 1-2. FCM initialisation
    let centers: Float64Array = Float64Array.from(start);
    let d2: Float64Array = distanceStep(X, n, p, centers, k);
    const bufs = allocMembershipBuffers(k, n);
    const w = new Float64Array(k * n);
    let initIterations = 0;
    for (;;) {
      fcmMembershipStep(d2, k, n, opts.m, bufs.u, undefined, w);
      const next = centersFromSums(weightedSumStep(X, n, p, w, k), weightTotals(w, k, n), k, p, centers);
      let shift = 0;
      for (let i = 0; i < k; i++) {
        let s = 0;
        for (let l = 0; l < p; l++) s += (next[i * p + l] - centers[i * p + l]) ** 2;
        shift = Math.max(shift, s);
      }
      centers = next;
      d2 = distanceStep(X, n, p, centers, k);
      initIterations++;
      if (shift < opts.initEps ** 2) break;
    }
    // 3. scales
    fcmMembershipStep(d2, k, n, opts.m, bufs.u);
    const eta = etaStep(d2, bufs.u, k, n, opts.m, opts.K);
    // 4. possibilistic phase
    let pcmIterations = 0;
    let prevJ = Infinity;
    for (;;) {
      const J = membershipStep(d2, k, n, eta, opts, bufs);
      const next = centersFromSums(weightedSumStep(X, n, p, bufs.w, k), weightTotals(bufs.w, k, n), k, p, centers);
      let shift = 0;
      for (let i = 0; i < k; i++) {
        let s = 0;
        for (let l = 0; l < p; l++) s += (next[i * p + l] - centers[i * p + l]) ** 2;
        shift = Math.max(shift, s);
      }
      centers = next;
      d2 = distanceStep(X, n, p, centers, k);
      pcmIterations++;
      if (shift < opts.eps ** 2 || Math.abs(prevJ - J) <= opts.tol * Math.abs(J)) break;
      prevJ = J;
    }
    membershipStep(d2, k, n, eta, opts, bufs);
    const labels = argmaxLabels(bufs.w, k, n);

    expect(initIterations).toBe(driver.initIterations);
    expect(pcmIterations).toBe(driver.pcmIterations);
    expect(Array.from(labels)).toEqual(Array.from(driver.labels));
    expect(Array.from(centers)).toEqual(Array.from(driver.centers));
    expect(Array.from(eta)).toEqual(Array.from(driver.eta));
  });

  it("an asynchronous backend behind a serialising boundary gives the identical result", async () => {
    const local = plaintextBackend(X, n, p);
    const wire = (a: Float64Array) => Float64Array.from(JSON.parse(JSON.stringify(Array.from(a))) as number[]);
    let requests = 0;
    const remote: AsyncHopcmBackend = {
      n,
      p,
      pointDistances: async (index) => (requests++, wire(local.pointDistances(index))),
      distances: async (centers, kk) => (requests++, wire(local.distances(wire(centers), kk))),
      weightedSums: async (weights, kk) => (requests++, wire(local.weightedSums(wire(weights), kk))),
    };
    const a = hopcm(X, n, p, { k });
    const b = await runHopcmAsync(remote, { k });
    expect(requests).toBeGreaterThan(2 * a.iterations);
    expect(Array.from(b.labels)).toEqual(Array.from(a.labels));
    expect(Array.from(b.centers)).toEqual(Array.from(a.centers));
  });

  it("approximate arithmetic (relative noise 1e-9, as CKKS) keeps labels, centers within 1e-6", () => {
    const rng = mulberry32(5);
    const noisy = (a: Float64Array) => a.map((x) => x * (1 + 1e-9 * (2 * rng() - 1)));
    const local = plaintextBackend(X, n, p);
    const backend: HopcmBackend = {
      n,
      p,
      pointDistances: (index) => noisy(local.pointDistances(index)),
      distances: (centers, kk) => noisy(local.distances(centers, kk)),
      weightedSums: (weights, kk) => noisy(local.weightedSums(weights, kk)),
    };
    const exact = hopcm(X, n, p, { k });
    const approx = runHopcm(backend, { k });
    expect(Array.from(approx.labels)).toEqual(Array.from(exact.labels));
    for (let i = 0; i < k * p; i++) expect(Math.abs(approx.centers[i] - exact.centers[i])).toBeLessThan(1e-6);
  });

  it("the coordinator can be stepped by hand and only ever asks for aggregates", () => {
    const gen = hopcmCoordinator(n, p, { k });
    const local = plaintextBackend(X, n, p);
    const kinds = new Set<string>();
    let step = gen.next();
    while (!step.done) {
      const req = step.value;
      kinds.add(req.kind);
      step = gen.next(
        req.kind === "distances"
          ? local.distances(req.centers, req.k)
          : req.kind === "weightedSums"
            ? local.weightedSums(req.weights, req.k)
            : local.pointDistances(req.index),
      );
    }
    expect([...kinds].sort()).toEqual(["distances", "pointDistances", "weightedSums"]);
    expect(Array.from(step.value.labels)).toEqual(Array.from(hopcm(X, n, p, { k }).labels));
  });
});

describe("restarts of the FCM initialisation (initRestarts)", () => {
  // six 2-D blobs: some k-means++ draws put two seeds in one blob, and FCM keeps that local optimum
  const six = makeBlobs(400, 2, 6, { seed: 3, spread: 6, std: 1 });
  const ari = (seed: number, initRestarts: number) => adjustedRandIndex(six.labels, hopcm(six.X, six.n, six.p, { k: 6, seed, initRestarts }).labels);

  it("keeps the draw with the lowest FCM objective: never worse over 30 seeds, better where one draw was bad", () => {
    expect(HOPCM_DEFAULTS.initRestarts).toBe(3);
    const gains = Array.from({ length: 30 }, (_, s) => ari(s + 1, 3) - ari(s + 1, 1));
    expect(Math.min(...gains)).toBeGreaterThan(-0.02);
    expect(gains.filter((g) => g > 0.02).length).toBeGreaterThanOrEqual(3);
    expect(ari(6, 3)).toBeGreaterThan(ari(6, 1) + 0.02);
  });

  it("is a single draw at 1, and is not used from given centers", () => {
    const one = hopcm(six.X, six.n, six.p, { k: 6, seed: 6, initRestarts: 1 });
    const three = hopcm(six.X, six.n, six.p, { k: 6, seed: 6 });
    expect(one.initIterations).toBeLessThan(three.initIterations);
    const initialCenters = three.centers;
    const a = hopcm(six.X, six.n, six.p, { k: 6, initialCenters, initRestarts: 1 });
    const b = hopcm(six.X, six.n, six.p, { k: 6, initialCenters, initRestarts: 4 });
    expect(Array.from(b.labels)).toEqual(Array.from(a.labels));
    expect(b.iterations).toBe(a.iterations);
  });

  it("tells a driver each distances request's stage: the draws' FCM iterations, then the possibilistic phase", () => {
    const gen = hopcmCoordinator(six.n, six.p, { k: 6, seed: 6 });
    const backend = plaintextBackend(six.X, six.n, six.p);
    const stages: string[] = [];
    const objective: number[] = [];
    let step = gen.next();
    while (!step.done) {
      const req = step.value;
      if (req.kind === "distances") stages.push(`${req.stage.phase}:${req.stage.draw}/${req.stage.draws}`);
      if (req.kind === "distances" && req.stage.objective !== undefined) objective.push(req.stage.objective);
      step = gen.next(answerRequest(backend, req));
    }
    const runs = stages.filter((s, i) => s !== stages[i - 1]);
    expect(runs).toEqual(["init:1/3", "init:2/3", "init:3/3", "possibilistic:3/3"]);
    expect(stages.filter((s) => s.startsWith("init")).length).toBe(step.value.initIterations);
    // the possibilistic phase's requests carry the objective it minimises: one per iteration, never rising
    expect(objective).toHaveLength(step.value.pcmIterations);
    for (let i = 1; i < objective.length; i++) expect(objective[i]).toBeLessThanOrEqual(objective[i - 1] * (1 + 1e-12));
  });

  it("refuses a count that is not a positive integer", () => {
    expect(() => hopcm(six.X, six.n, six.p, { k: 6, initRestarts: 0 })).toThrow(RangeError);
    expect(() => hopcm(six.X, six.n, six.p, { k: 6, initRestarts: 1.5 })).toThrow(RangeError);
  });
});
