import { describe, expect, it } from "vitest";
import { answerRequest, hopcmCoordinator, HOPCM_DEFAULTS, makeBlobs, plaintextBackend } from "@/lib/hopcm";
import { INIT_SHARE, runProgress } from "./progress";

describe("a run's progress", () => {
  const o = { initEps: HOPCM_DEFAULTS.initEps, eps: HOPCM_DEFAULTS.eps };

  it("gives each k-means++ draw of the FCM initialisation an equal share, then the possibilistic phase the rest", () => {
    expect(runProgress({ phase: "init", draw: 1, draws: 3 }, 10, o)).toBe(0);
    expect(runProgress({ phase: "init", draw: 1, draws: 3 }, o.initEps, o)).toBeCloseTo(INIT_SHARE / 3, 12);
    expect(runProgress({ phase: "init", draw: 3, draws: 3 }, o.initEps / 10, o)).toBeCloseTo(INIT_SHARE, 12);
    expect(runProgress({ phase: "possibilistic", draw: 3, draws: 3 }, 1, o)).toBeCloseTo(INIT_SHARE, 12);
    expect(runProgress({ phase: "possibilistic", draw: 3, draws: 3 }, 1e-3, o)).toBeCloseTo(INIT_SHARE + (1 - INIT_SHARE) / 2, 12);
    expect(runProgress({ phase: "possibilistic", draw: 3, draws: 3 }, o.eps, o)).toBe(1);
  });

  it("tracks a real run: no long stall near the end (the bar once sat at 99% for 390 of 474 iterations)", () => {
    const b = makeBlobs(500, 15, 3, { seed: 2, spread: 3 });
    const backend = plaintextBackend(b.X, b.n, b.p);
    const gen = hopcmCoordinator(b.n, b.p, { k: 3 });
    const bar: number[] = [];
    let prev: Float64Array | null = null;
    let progress = 0;
    let step = gen.next();
    while (!step.done) {
      const req = step.value;
      if (req.kind === "distances") {
        if (prev) {
          let shift = 0;
          for (let i = 0; i < req.centers.length; i++) shift = Math.max(shift, Math.abs(req.centers[i] - prev[i]));
          progress = Math.min(0.99, Math.max(progress, runProgress(req.stage, shift, o)));
          bar.push(progress);
        }
        prev = Float64Array.from(req.centers);
      }
      step = gen.next(answerRequest(backend, req));
    }
    expect(step.value.iterations).toBeLessThanOrEqual(100);
    expect(bar.at(-1)).toBeGreaterThan(0.9);
    // the last 10% of the bar takes less than a third of the iterations
    expect(bar.filter((x) => x >= 0.9).length).toBeLessThan(bar.length / 3);
  });
});
