/**
 * Exports of decrypted records: CSV safe to open in a spreadsheet (cells that a spreadsheet
 * would run as a formula are prefixed with a quote), NDJSON, and a minimal FHIR R4 Bundle.
 */
import type { Cell, Row } from "./dataset";

const FORMULA_START = /^[=+\-@\t\r]/;

/** One CSV cell: formula-looking text neutralised with a leading apostrophe, then quoted as needed. */
export function csvCell(value: Cell): string {
  if (value === null || value === undefined) return "";
  let text = String(value);
  if (typeof value === "string" && FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toSafeCsv(columns: readonly string[], rows: readonly Row[]): string {
  const lines = [columns.map((c) => csvCell(c)).join(",")];
  for (const r of rows) lines.push(columns.map((c) => csvCell(r[c] ?? null)).join(","));
  return `${lines.join("\r\n")}\r\n`;
}

export function toNdjson(rows: readonly Row[]): string {
  return rows.map((r) => JSON.stringify(r)).join("\n") + (rows.length ? "\n" : "");
}

/**
 * A FHIR R4 "collection" Bundle with one Patient per record (no identifiers) and one
 * Observation per numeric field, coded with the column name as text.
 */
export function toFhirCollection(columns: readonly string[], rows: readonly Row[]): object {
  const entry: object[] = [];
  rows.forEach((r, i) => {
    const pid = `p${i + 1}`;
    entry.push({ fullUrl: `urn:uuid:patient-${pid}`, resource: { resourceType: "Patient", id: pid } });
    for (const c of columns) {
      const v = r[c];
      if (v === null || v === undefined) continue;
      const value = typeof v === "number" ? { valueQuantity: { value: v } } : { valueString: String(v) };
      const loinc = /^(\d{1,5}-\d)\s+(.*)$/.exec(c);
      const code = loinc ? { coding: [{ system: "http://loinc.org", code: loinc[1], display: loinc[2] }], text: loinc[2] } : { text: c };
      entry.push({ resource: { resourceType: "Observation", status: "final", code, subject: { reference: `urn:uuid:patient-${pid}` }, ...value } });
    }
  });
  return { resourceType: "Bundle", type: "collection", entry };
}
