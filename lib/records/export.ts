/**
 * Exports of decrypted records: CSV safe to open in a spreadsheet (cells that a spreadsheet
 * would run as a formula are prefixed with a quote), NDJSON, and a FHIR R4 collection Bundle.
 * Every export top-codes ages: an age over 89 is written "90+" (HIPAA Safe Harbor).
 */
import type { Cell, Row } from "./dataset";
import { LOINC_SYSTEM, UCUM_SYSTEM } from "./fhir-import";
import { MEASURES } from "./synthetic";

const FORMULA_START = /^[=+\-@\t\r]/;

/** One CSV cell: formula-looking text neutralised with a leading apostrophe, then quoted as needed. */
export function csvCell(value: Cell): string {
  if (value === null || value === undefined) return "";
  let text = String(value);
  if (typeof value === "string" && FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toSafeCsv(columns: readonly string[], rows: readonly Row[]): string {
  const ages = columns.filter(isAgeColumn);
  const lines = [columns.map((c) => csvCell(c)).join(",")];
  for (const r of rows) {
    const row = topCodeAges(r, ages);
    lines.push(columns.map((c) => csvCell(row[c] ?? null)).join(","));
  }
  return `${lines.join("\r\n")}\r\n`;
}

export function toNdjson(rows: readonly Row[]): string {
  return rows.map((r) => JSON.stringify(topCodeAges(r, Object.keys(r).filter(isAgeColumn)))).join("\n") + (rows.length ? "\n" : "");
}

/** "Age" as written by the FHIR importer ("30525-0 Age") or a CSV ("age", "Age (years)", "age_at_diagnosis"). */
const AGE_LOINC = "30525-0";
export function isAgeColumn(column: string): boolean {
  const loinc = LOINC_COLUMN.exec(column);
  if (loinc) return loinc[1] === AGE_LOINC;
  return /(^|[^a-z])age([^a-z]|$)/i.test(column);
}

/** A row with every age over 89 written as "90+". */
function topCodeAges(row: Row, ageColumns: readonly string[]): Row {
  if (!ageColumns.some((c) => typeof row[c] === "number" && (row[c] as number) > 89)) return row;
  const out = { ...row };
  for (const c of ageColumns) if (typeof out[c] === "number" && (out[c] as number) > 89) out[c] = "90+";
  return out;
}

/** Export file name from the datasets' or cluster's name: "wdbc-2025.fhir.json". */
export function exportFileName(name: string, extension: string): string {
  const base = name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/\.(csv|json|ndjson)$/i, "")
    .replace(/[^A-Za-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 80)
    .toLowerCase();
  return `${base || "medshare-records"}.${extension}`;
}

const LOINC_COLUMN = /^(\d{1,7}-\d)\s+(.+)$/;
/** UCUM unit of each LOINC code MedShare knows (the FHIR importer's and the demo's measures). */
const LOINC_UNITS: ReadonlyMap<string, { unit: string; display: string }> = new Map(MEASURES.map((m) => [m.loinc, { unit: m.unit, display: m.display }]));

/** Which Patient field a column feeds, by its name ("birthDate", "birth_year", "Sex", "state"…). */
type PatientField = "gender" | "birthDate" | "state" | "country" | "postalCode";
function patientField(column: string): PatientField | null {
  const n = column.toLowerCase().replace(/[^a-z0-9]/g, "");
  if (n === "gender" || n === "sex") return "gender";
  if (["birthdate", "birthyear", "yearofbirth", "yob", "dob", "dateofbirth"].includes(n)) return "birthDate";
  if (n === "state" || n === "addressstate") return "state";
  if (n === "country") return "country";
  if (["postalcode", "zip", "zipcode", "zip3"].includes(n)) return "postalCode";
  return null;
}

/** FHIR administrative gender from the usual spellings; anything else is "unknown". */
function gender(value: Cell): "male" | "female" | "other" | "unknown" {
  const v = String(value).trim().toLowerCase();
  if (v === "m" || v === "male" || v === "man") return "male";
  if (v === "f" || v === "female" || v === "woman") return "female";
  if (v === "o" || v === "other" || v === "diverse" || v === "x") return "other";
  return "unknown";
}

/** The year only: de-identified data keeps no more of a birth date (FHIR date allows "YYYY"). */
function birthYear(value: Cell): string | null {
  const m = /^(\d{4})/.exec(String(value).trim());
  return m ? m[1] : null;
}

type Json = Record<string, unknown>;

function quantity(value: number, unit: string | undefined): Json {
  return unit ? { value, unit, system: UCUM_SYSTEM, code: unit } : { value };
}

/** Observation.code and value[x] of one cell, or null for an empty cell. */
function observationOf(column: string, value: Cell): { code: Json; value: Json } | null {
  if (value === null || value === undefined || value === "") return null;
  const loinc = LOINC_COLUMN.exec(column);
  const age = isAgeColumn(column);
  const code = loinc
    ? { coding: [{ system: LOINC_SYSTEM, code: loinc[1], display: LOINC_UNITS.get(loinc[1])?.display ?? loinc[2] }], text: loinc[2] }
    : age
      ? { coding: [{ system: LOINC_SYSTEM, code: AGE_LOINC, display: "Age" }], text: column }
      : { text: column };
  const unit = age ? "a" : loinc ? LOINC_UNITS.get(loinc[1])?.unit : undefined;
  if (age && (value === "90+" || (typeof value === "number" && value > 89)))
    return { code, value: { valueQuantity: { value: 90, comparator: ">=", unit: "a", system: UCUM_SYSTEM, code: "a" } } };
  if (typeof value === "number") return { code, value: { valueQuantity: quantity(value, unit) } };
  return { code, value: { valueString: String(value) } };
}

export interface FhirExportOptions {
  /** Source of the entries' UUIDs (default crypto.randomUUID). */
  uuid?: () => string;
}

/**
 * A FHIR R4 "collection" Bundle: one Patient per record (no identifiers; gender, birth year
 * and state as Patient fields) and one Observation per other non-empty cell, LOINC-coded with
 * UCUM units where the column is a LOINC code MedShare knows. Every entry has a urn:uuid fullUrl.
 */
export function toFhirCollection(columns: readonly string[], rows: readonly Row[], opts: FhirExportOptions = {}): Json {
  const uuid = opts.uuid ?? (() => crypto.randomUUID());
  const fields = columns.map(patientField);
  const entry: Json[] = [];
  for (const r of rows) {
    const pid = uuid();
    const patient: Json = { resourceType: "Patient", id: pid };
    const address: Json = {};
    const observations: Json[] = [];
    columns.forEach((c, i) => {
      const v = r[c];
      const field = fields[i];
      if (field && v !== null && v !== undefined && v !== "") {
        if (field === "gender") patient.gender = gender(v);
        else if (field === "birthDate") {
          const year = birthYear(v);
          if (year) patient.birthDate = year;
        } else address[field] = String(v);
        return;
      }
      const obs = observationOf(c, v ?? null);
      if (!obs) return;
      const oid = uuid();
      observations.push({
        fullUrl: `urn:uuid:${oid}`,
        resource: { resourceType: "Observation", id: oid, status: "final", code: obs.code, subject: { reference: `urn:uuid:${pid}` }, ...obs.value },
      });
    });
    if (Object.keys(address).length) patient.address = [address];
    entry.push({ fullUrl: `urn:uuid:${pid}`, resource: patient }, ...observations);
  }
  return { resourceType: "Bundle", type: "collection", timestamp: new Date().toISOString(), entry };
}
