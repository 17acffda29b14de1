/** One point of the paper's Table 4.1 (encryption + decryption, ms). */
export type PaperPoint = { attributes: number; ms: number };

/** Milliseconds with a precision that suits their size (2.53 → "2.53", 28.16 → "28.2", 747.41 → "747"). */
export function formatMs(ms: number): string {
  if (ms < 10) return ms.toFixed(2);
  if (ms < 100) return ms.toFixed(1);
  return ms.toFixed(0);
}
