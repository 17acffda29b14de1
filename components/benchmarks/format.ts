/** One point of the paper's Table 4.1 (encryption + decryption, ms). */
export type PaperPoint = { attributes: number; ms: number };

/**
 * Milliseconds to a tenth, as the paper gives them (and as browsers outside cross-origin
 * isolation clamp performance.now()); whole milliseconds from 100 on.
 */
export function formatMs(ms: number): string {
  if (ms < 100) return ms.toFixed(1);
  return ms.toFixed(0);
}
