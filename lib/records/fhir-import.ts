/**
 * FHIR R4 Bundle JSON -> Dataset: one row per Patient; Patient columns (FHIR_PATIENT_COLUMNS,
 * only those with a value somewhere) then one column per Observation code, in order of first
 * appearance. Issues carry JSON paths ("entry[3].resource.valueQuantity.value").
 *
 * Column names: LOINC codes as "<code> <text>" ("8867-4 Heart rate", text = code.text, else
 * the coding's display); other codes by their text, display or code ("phenotype").
 * Values: valueQuantity.value and valueInteger -> number; valueCodeableConcept (text, else
 * the first coding's display, else its code), valueString, valueBoolean, valueDateTime ->
 * string. An Observation without value[x] but with components contributes one column per
 * component (blood-pressure panels). Several Observations of one code for one patient: the
 * latest by effectiveDateTime (effectiveInstant, effectivePeriod.start, issued) wins; on a
 * tie or without dates the later entry wins.
 *
 * Errors (dataset null): not JSON, not a Bundle, no entries, an entry without a resource or
 * resourceType, no Patient or no Observation, a duplicate Patient, an Observation whose
 * subject is missing or not a Patient of this Bundle, without a code, without a value (and
 * without dataAbsentReason) or with a non-numeric valueQuantity.value, one code with two
 * different units, the limits (reported alone).
 * Warnings: unsupported resource types (skipped, one warning per type), Observations with
 * status entered-in-error/cancelled or an unsupported value type (skipped), one code with
 * both numbers and text (kept as text), patients without observations.
 *
 * The JSON is read once through fhir-schema.ts; everything below walks its typed output.
 */
import {
  type Cell,
  type ColumnInfo,
  type Dataset,
  type ImportResult,
  inferCellKind,
  type Issue,
  IssueList,
  type Limits,
  resolveLimits,
  type Row,
  setCell,
  summarize,
  textSizeIssue,
} from "./dataset";
import {
  bundleSchema,
  type FhirCodeableConcept,
  type FhirComponent,
  type FhirObservation,
  type FhirPatient,
  isInvalid,
  jsonType,
  VALUE_KEYS,
} from "./fhir-schema";

export const LOINC_SYSTEM = "http://loinc.org";
export const UCUM_SYSTEM = "http://unitsofmeasure.org";
export const SSN_SYSTEM = "http://hl7.org/fhir/sid/us-ssn";
export const IDENTIFIER_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v2-0203";

/** Patient-derived columns, in output order. All hold strings; most are PHI (see phi.ts). */
export const FHIR_PATIENT_COLUMNS = [
  "id",
  "mrn",
  "ssn",
  "driversLicense",
  "passport",
  "identifier",
  "name",
  "gender",
  "birthDate",
  "deceasedDateTime",
  "address",
  "city",
  "district",
  "state",
  "postalCode",
  "country",
  "phone",
  "fax",
  "email",
] as const;
export type FhirPatientColumn = (typeof FHIR_PATIENT_COLUMNS)[number];

export interface FhirImportOptions {
  limits?: Partial<Limits>;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const only = (issue: Issue): ImportResult => ({ dataset: null, issues: [issue] });

interface PatientRow {
  values: Partial<Record<FhirPatientColumn, string>>;
  path: string;
  observations: number;
}

interface ColumnAcc {
  name: string;
  code: { system?: string; code: string; display?: string };
  unit?: string;
  unitPath?: string;
  hasNumber: boolean;
  hasString: boolean;
  mixedWarned: boolean;
}

interface Latest {
  time: number;
  order: number;
  value: Cell;
}

export function parseFhirBundle(text: string, opts: FhirImportOptions = {}): ImportResult {
  const limits = resolveLimits(opts.limits);
  const sizeIssue = textSizeIssue(text, limits);
  if (sizeIssue) return only(sizeIssue);

  let json: unknown;
  try {
    json = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (e) {
    return only({ severity: "error", message: `The file is not valid JSON (${e instanceof Error ? e.message : String(e)}).` });
  }
  if (!isObj(json))
    return only({ severity: "error", path: "", message: 'The file is JSON but not a FHIR resource (expected an object with resourceType "Bundle").' });
  const root = bundleSchema.parse(json);
  if (root.resourceType !== "Bundle") {
    const what = typeof root.resourceType === "string" ? `a ${root.resourceType} resource` : "not a FHIR resource (no resourceType)";
    return only({ severity: "error", path: "resourceType", message: `The file is ${what}; expected a Bundle of Patient and Observation resources.` });
  }
  if (root.entry.length === 0) return only({ severity: "error", path: "entry", message: "The Bundle has no entries." });

  const issues = new IssueList();
  const entries = root.entry;
  const patients: PatientRow[] = [];
  /** Reference key ("Patient/<id>", a fullUrl) -> patient index. */
  const patientIndex = new Map<string, number>();
  const observations: Array<{ resource: FhirObservation; path: string; order: number }> = [];
  const unsupported = new Map<string, { count: number; path: string }>();

  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i];
    const path = `entry[${i}]`;
    if ("invalid" in entry) {
      issues.error("The entry is not an object.", { path });
      continue;
    }
    const resource = entry.resource;
    if (resource.kind === "none") {
      issues.error("The entry has no resource.", { path: `${path}.resource` });
      continue;
    }
    if (resource.kind === "untyped") {
      issues.error("The resource has no resourceType.", { path: `${path}.resource.resourceType` });
      continue;
    }
    if (resource.kind === "patient") {
      if (patients.length >= limits.maxRows)
        return only({
          severity: "error",
          message: `The Bundle has more than ${limits.maxRows.toLocaleString("en-US")} patients (the limit). Split it into smaller files.`,
        });
      const index = patients.length;
      const id = resource.patient.id ?? null;
      const fullUrl = entry.fullUrl ?? null;
      const keys = [id ? `Patient/${id}` : null, fullUrl].filter((k): k is string => k !== null);
      for (const key of new Set(keys)) {
        const other = patientIndex.get(key);
        if (other !== undefined)
          issues.error(`${key} appears twice in the Bundle (also at ${patients[other].path}).`, { path: `${path}.resource${key === fullUrl ? "" : ".id"}` });
        else patientIndex.set(key, index);
      }
      if (keys.length === 0) issues.warning("The Patient has neither an id nor a fullUrl: no Observation can refer to it.", { path: `${path}.resource` });
      const values = patientValues(resource.patient, fullUrl);
      for (const [k, v] of Object.entries(values))
        if (v.length > limits.maxCellLength)
          return only({
            severity: "error",
            path: `${path}.resource`,
            column: k,
            message: `The Patient's ${k} is longer than ${limits.maxCellLength} characters (the limit).`,
          });
      patients.push({ values, path: `${path}.resource`, observations: 0 });
    } else if (resource.kind === "observation") {
      observations.push({ resource: resource.observation, path: `${path}.resource`, order: i });
    } else {
      const u = unsupported.get(resource.type);
      if (u) u.count++;
      else unsupported.set(resource.type, { count: 1, path: `${path}.resource.resourceType` });
    }
  }
  for (const [type, { count, path }] of unsupported)
    issues.warning(`${count} ${type} resource${count === 1 ? " was" : "s were"} skipped: only Patient and Observation are imported.`, { path });

  if (patients.length === 0) issues.error("The Bundle has no Patient resources.", { path: "entry" });
  if (observations.length === 0) issues.error("The Bundle has no Observation resources: there is nothing to share besides demographics.", { path: "entry" });

  const columns = new Map<string, ColumnAcc>();
  const names = new Set<string>(FHIR_PATIENT_COLUMNS);
  const latest: Array<Map<string, Latest>> = patients.map(() => new Map());

  const columnFor = (code: CodeRef): ColumnAcc => {
    const key = `${code.system ?? ""}|${code.code}`;
    let col = columns.get(key);
    if (!col) {
      let name = code.system === LOINC_SYSTEM ? `${code.code} ${code.label ?? ""}`.trim() : (code.label ?? code.code);
      if (names.has(name)) name = `${name} (${code.code})`;
      for (let k = 2; names.has(name); k++) name = `${name} ${k}`;
      names.add(name);
      col = { name, code: { system: code.system, code: code.code, display: code.display }, hasNumber: false, hasString: false, mixedWarned: false };
      columns.set(key, col);
    }
    return col;
  };

  for (const { resource: o, path, order } of observations) {
    const status = o.status;
    if (status === "entered-in-error" || status === "cancelled") {
      issues.warning(`The Observation has status ${status}; it was skipped.`, { path: `${path}.status` });
      continue;
    }
    const p = resolveSubject(o, path, patientIndex, issues);
    const time = effectiveTime(o);
    // The Observation's own value, then its components.
    const parts: Array<{ holder: FhirObservation | FhirComponent; path: string }> = [];
    const hasValue = valueKey(o) !== null;
    if (hasValue || o.dataAbsentReason !== undefined || o.component.length === 0) parts.push({ holder: o, path });
    o.component.forEach((c, j) => {
      if ("invalid" in c) issues.error("The component is not an object.", { path: `${path}.component[${j}]` });
      else parts.push({ holder: c, path: `${path}.component[${j}]` });
    });
    for (const part of parts) {
      const code = codeOf(part.holder.code);
      if (!code) {
        issues.error(`The ${part.holder === o ? "Observation" : "component"} has no code (code.coding[].code or code.text).`, { path: `${part.path}.code` });
        continue;
      }
      const value = readValue(part.holder, part.path, issues);
      if (value === undefined) continue; // reported, or skipped with a warning
      const col = columnFor(code);
      if (value.value !== null) {
        if (typeof value.value === "number") col.hasNumber = true;
        else {
          col.hasString = true;
          if (value.value.length > limits.maxCellLength)
            return only({ severity: "error", path: value.path, message: `The value is longer than ${limits.maxCellLength} characters (the limit).` });
        }
        if (col.hasNumber && col.hasString && !col.mixedWarned) {
          col.mixedWarned = true;
          issues.warning(`Observations of ${col.name} hold both numbers and text; the column is kept as text.`, { path: value.path, column: col.name });
        }
      }
      if (value.unit) {
        if (col.unit === undefined) {
          col.unit = value.unit;
          col.unitPath = value.path;
        } else if (col.unit !== value.unit) {
          issues.error(
            `The unit ${JSON.stringify(value.unit)} differs from ${JSON.stringify(col.unit)} used for ${col.name} at ${col.unitPath}; convert to one unit before uploading.`,
            { path: value.path.replace(/\.value$/, ".unit"), column: col.name },
          );
        }
      }
      if (p === null) continue;
      const map = latest[p];
      const prev = map.get(col.name);
      if (!prev || time > prev.time || (time === prev.time && order >= prev.order)) map.set(col.name, { time, order, value: value.value });
    }
    if (p !== null) patients[p].observations++;
  }

  const without = patients.filter((p) => p.observations === 0);
  if (without.length > 0 && observations.length > 0)
    issues.warning(`${without.length} patient${without.length === 1 ? " has" : "s have"} no observations (first: ${without[0].path}).`, {
      path: without[0].path,
    });

  const patientCols = FHIR_PATIENT_COLUMNS.filter((c) => patients.some((p) => p.values[c] !== undefined));
  const obsCols = [...columns.values()];
  const names2 = [...patientCols, ...obsCols.map((c) => c.name)];
  if (names2.length > limits.maxColumns)
    return only({
      severity: "error",
      message: `The Bundle has ${names2.length} columns (Patient fields and Observation codes); the limit is ${limits.maxColumns}.`,
    });

  if (issues.hasErrors) return { dataset: null, issues: issues.toArray() };

  const rows: Row[] = patients.map((p, j) => {
    const row: Row = {};
    for (const c of patientCols) setCell(row, c, p.values[c] ?? null);
    for (const c of obsCols) {
      const v = latest[j].get(c.name)?.value ?? null;
      setCell(row, c.name, typeof v === "number" && c.hasString ? String(v) : v);
    }
    return row;
  });
  const infos: ColumnInfo[] = names2.map((name, k) => {
    const cells = rows.map((r) => r[name]);
    const info = summarize(name, inferCellKind(name, cells), cells);
    const acc = k >= patientCols.length ? obsCols[k - patientCols.length] : undefined;
    if (acc) {
      info.code = stripUndefined(acc.code);
      if (acc.unit !== undefined) info.unit = acc.unit;
    }
    return info;
  });
  const dataset: Dataset = { source: "fhir", columns: infos, rows };
  return { dataset, issues: issues.toArray() };
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

// ---------------------------------------------------------------------------------------
// Patient

type Identifier = FhirPatient["identifier"][number];
const typeCode = (identifier: Identifier): string | null => identifier.type?.coding.find((c) => c.code)?.code ?? null;

/** The preferred element of a repeating field: the first with an accepted `use`, else the first. */
function preferred<T extends { use?: string }>(list: T[], uses: readonly string[]): T | null {
  for (const use of uses) {
    const hit = list.find((o) => o.use === use);
    if (hit) return hit;
  }
  return list.find((o) => o.use !== "old") ?? list[0] ?? null;
}

function patientValues(p: FhirPatient, fullUrl: string | null): Partial<Record<FhirPatientColumn, string>> {
  const v: Partial<Record<FhirPatientColumn, string>> = {};
  const set = (k: FhirPatientColumn, x: string | null | undefined) => {
    if (x != null && x !== "") v[k] = x;
  };
  set("id", p.id ?? (fullUrl?.startsWith("urn:") ? fullUrl : null));
  const others: string[] = [];
  for (const id of p.identifier) {
    const value = id.value;
    if (!value) continue;
    const t = typeCode(id);
    const k: FhirPatientColumn | null =
      id.system === SSN_SYSTEM || t === "SS" ? "ssn" : t === "MR" ? "mrn" : t === "DL" ? "driversLicense" : t === "PPN" ? "passport" : null;
    if (k && v[k] === undefined) set(k, value);
    else others.push(value);
  }
  if (others.length) set("identifier", others.join("; "));

  const name = preferred(p.name, ["official", "usual"]);
  if (name) set("name", name.text ?? [...name.given, ...(name.family ? [name.family] : [])].join(" "));
  set("gender", p.gender);
  set("birthDate", p.birthDate);
  set("deceasedDateTime", p.deceasedDateTime);

  const addr = preferred(p.address, ["home"]);
  if (addr) {
    set("address", addr.line.join(", "));
    set("city", addr.city);
    set("district", addr.district);
    set("state", addr.state);
    set("postalCode", addr.postalCode);
    set("country", addr.country);
  }
  for (const system of ["phone", "fax", "email"] as const) {
    const t = preferred(
      p.telecom.filter((t) => t.system === system),
      ["home", "mobile", "work"],
    );
    if (t) set(system, t.value);
  }
  return v;
}

// ---------------------------------------------------------------------------------------
// Observation

const PATIENT_REF_RE = /(?:^|\/)Patient\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/;

function resolveSubject(o: FhirObservation, path: string, index: Map<string, number>, issues: IssueList): number | null {
  const ref = o.subject?.reference;
  if (!ref) {
    issues.error("The Observation has no subject.reference: it cannot be linked to a patient.", { path: `${path}.subject.reference` });
    return null;
  }
  const direct = index.get(ref);
  if (direct !== undefined) return direct;
  const m = PATIENT_REF_RE.exec(ref);
  const byId = m ? index.get(`Patient/${m[1]}`) : undefined;
  if (byId !== undefined) return byId;
  issues.error(`The Observation refers to ${JSON.stringify(ref)}, which is not a Patient in this Bundle.`, { path: `${path}.subject.reference` });
  return null;
}

function effectiveTime(o: FhirObservation): number {
  const candidates = [o.effectiveDateTime, o.effectiveInstant, o.effectivePeriod ? (o.effectivePeriod.start ?? o.effectivePeriod.end) : undefined, o.issued];
  for (const s of candidates) {
    if (!s) continue;
    const t = Date.parse(s.length === 4 ? `${s}-01-01` : s.length === 7 ? `${s}-01` : s);
    if (Number.isFinite(t)) return t;
  }
  return -Infinity;
}

interface CodeRef {
  system?: string;
  code: string;
  display?: string;
  label?: string;
}

function codeOf(cc: FhirCodeableConcept | undefined): CodeRef | null {
  if (!cc) return null;
  const coding = cc.coding.find((c) => c.system === LOINC_SYSTEM && c.code) ?? cc.coding.find((c) => c.code);
  const text = cc.text;
  if (coding?.code) return { system: coding.system, code: coding.code, display: coding.display, label: text ?? coding.display };
  return text ? { code: text, label: text } : null;
}

const valueKey = (o: FhirObservation | FhirComponent) => VALUE_KEYS.find((k) => o[k] !== undefined) ?? null;

/** The value of an Observation or component; undefined when an issue was reported (or it is skipped). */
function readValue(o: FhirObservation | FhirComponent, path: string, issues: IssueList): { value: Cell; unit?: string; path: string } | undefined {
  const key = valueKey(o);
  if (key === null) {
    if (o.dataAbsentReason !== undefined) return { value: null, path: `${path}.dataAbsentReason` };
    issues.error("The Observation has no value (valueQuantity, valueCodeableConcept, valueString, ...) and no dataAbsentReason.", { path: `${path}.value[x]` });
    return undefined;
  }
  const p = `${path}.${key}`;
  const wrongType = (v: unknown) => {
    issues.error(`${key} has the wrong JSON type (${jsonType(v)}).`, { path: p });
    return undefined;
  };
  switch (key) {
    case "valueQuantity": {
      const v = o.valueQuantity!;
      if (isInvalid(v)) return wrongType(v.invalid);
      if (v.value === undefined || isInvalid(v.value)) {
        issues.error(v.value === undefined ? "valueQuantity has no value." : `valueQuantity.value ${JSON.stringify(v.value.invalid)} is not a number.`, {
          path: `${p}.value`,
        });
        return undefined;
      }
      if (v.comparator !== undefined)
        issues.warning(`The value has comparator ${JSON.stringify(v.comparator)}; it was imported as ${v.value}.`, { path: `${p}.comparator` });
      const unit = (v.system === UCUM_SYSTEM ? v.code : undefined) ?? v.unit ?? v.code;
      return { value: v.value, unit, path: `${p}.value` };
    }
    case "valueInteger": {
      const v = o.valueInteger!;
      return isInvalid(v) ? wrongType(v.invalid) : { value: v, path: p };
    }
    case "valueCodeableConcept": {
      const v = o.valueCodeableConcept!;
      if (isInvalid(v)) return wrongType(v.invalid);
      const first = v.coding[0];
      const s = v.text ?? (first ? (first.display ?? first.code) : undefined);
      if (s === undefined) {
        issues.error("valueCodeableConcept has neither text nor a coding with a display or code.", { path: p });
        return undefined;
      }
      return { value: s, path: p };
    }
    case "valueBoolean": {
      const v = o.valueBoolean!;
      return isInvalid(v) ? wrongType(v.invalid) : { value: String(v), path: p };
    }
    case "valueString":
    case "valueTime":
    case "valueDateTime": {
      const v = o[key]!;
      return isInvalid(v) ? wrongType(v.invalid) : { value: v, path: p };
    }
    default:
      issues.warning(`${key} is not supported; this value was skipped.`, { path: p });
      return undefined;
  }
}
