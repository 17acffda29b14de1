/**
 * Tells a text file (CSV, JSON) from a binary one before parsing, so a PNG renamed .csv is
 * refused as "not a text file" instead of read as dozens of garbled rows. Pure, isomorphic.
 */

/** Leading bytes of common binary formats people pick by mistake. */
const SIGNATURES: { name: string; bytes: number[] }[] = [
  { name: "a PNG image", bytes: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] },
  { name: "a JPEG image", bytes: [0xff, 0xd8, 0xff] },
  { name: "a GIF image", bytes: [0x47, 0x49, 0x46, 0x38] },
  { name: "a PDF file", bytes: [0x25, 0x50, 0x44, 0x46, 0x2d] },
  { name: "a ZIP archive (or an Excel/Word file)", bytes: [0x50, 0x4b, 0x03, 0x04] },
  { name: "a gzip archive", bytes: [0x1f, 0x8b] },
  { name: "an old Excel/Word file", bytes: [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1] },
];

/**
 * Why `bytes` is not UTF-8 text, or null when it is. Checks, in order: a known binary format's
 * signature, NUL bytes (never in CSV or JSON; UTF-16 text has them too), invalid UTF-8.
 */
export function notTextReason(bytes: Uint8Array): string | null {
  for (const s of SIGNATURES) if (bytes.length >= s.bytes.length && s.bytes.every((b, i) => bytes[i] === b)) return `it looks like ${s.name}`;
  const nul = bytes.indexOf(0);
  if (nul !== -1) return `it contains NUL bytes (the first at byte ${nul + 1}); CSV and JSON files must be saved as UTF-8 text`;
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return "it is not valid UTF-8 text; save it as UTF-8 (CSV UTF-8 in Excel)";
  }
  return null;
}

/** The message the upload page shows for a binary file. */
export function notTextMessage(reason: string): string {
  return `This is not a text file: ${reason}. Choose a CSV file with a header row or a FHIR R4 Bundle (JSON).`;
}
