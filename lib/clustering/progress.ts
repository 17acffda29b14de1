import type { HopcmStage } from "@/lib/hopcm";

/** The share of the progress bar the FCM initialisation takes (its draws share it equally). */
export const INIT_SHARE = 0.3;

/**
 * How far a run has come, in [0, 1], from the coordinator's stage and the last center shift:
 * within each draw of the FCM initialisation and within the possibilistic phase, how far the
 * shift has come down towards that phase's stopping tolerance (log scale).
 */
export function runProgress(stage: HopcmStage, shift: number, o: { initEps: number; eps: number }): number {
  const towards = (tolerance: number) => Math.min(1, Math.max(0, Math.log10(1 / Math.max(shift, tolerance)) / Math.log10(1 / tolerance)));
  if (stage.phase === "init") return (INIT_SHARE * (stage.draw - 1 + towards(o.initEps))) / stage.draws;
  return INIT_SHARE + (1 - INIT_SHARE) * towards(o.eps);
}
