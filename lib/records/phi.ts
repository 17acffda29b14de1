/**
 * HIPAA Safe Harbor (45 CFR 164.514(b)(2)(i)): finding the 18 identifier types in a dataset
 * by column name and by (sampled) values, and removing or generalising them.
 *
 * Detection is a warning aid for the uploader, not a guarantee: free text can hide anything,
 * and a column named innocently can hold identifiers its values do not betray.
 *
 * Generalisation (deidentify with "generalize"):
 *   dates -> year (number); birth dates -> birth year, top-coded so that every year implying
 *   an age of 90 or more becomes referenceYear - 90 (Safe Harbor aggregates those ages);
 *   ZIP codes -> first 3 digits, "000" for the prefixes in RESTRICTED_ZIP3 (20,000 people or
 *   fewer), null for values that are not US ZIP codes; ages over 89 -> "90+" (or 90 with
 *   ageTopCode "number"); birth-year columns -> top-coded like birth dates.
 *   A column that cannot be generalised (a name, a phone number) is dropped.
 */
import {
  type Cell,
  type ColumnInfo,
  columnValues,
  type Dataset,
  type Generalization,
  inferCellKind,
  normalizeName,
  parseDate,
  type Row,
  setCell,
  summarize,
} from "./dataset";

/** The 18 Safe Harbor identifier types, (A) to (R) in the rule's order. */
export const SAFE_HARBOR_IDENTIFIERS = [
  "name",
  "geographic",
  "date",
  "phone",
  "fax",
  "email",
  "ssn",
  "medical-record-number",
  "health-plan-number",
  "account-number",
  "license-number",
  "vehicle-identifier",
  "device-identifier",
  "url",
  "ip-address",
  "biometric",
  "photo",
  "other-unique-identifier",
] as const;
export type SafeHarborIdentifier = (typeof SAFE_HARBOR_IDENTIFIERS)[number];

export const SAFE_HARBOR_LABELS: Record<SafeHarborIdentifier, string> = {
  name: "(A) Names",
  geographic: "(B) Geographic subdivisions smaller than a state (street, city, county, ZIP code)",
  date: "(C) Dates (except year) related to the individual, and ages over 89",
  phone: "(D) Telephone numbers",
  fax: "(E) Fax numbers",
  email: "(F) E-mail addresses",
  ssn: "(G) Social Security numbers",
  "medical-record-number": "(H) Medical record numbers",
  "health-plan-number": "(I) Health plan beneficiary numbers",
  "account-number": "(J) Account numbers",
  "license-number": "(K) Certificate/license numbers",
  "vehicle-identifier": "(L) Vehicle identifiers and serial numbers, including license plates",
  "device-identifier": "(M) Device identifiers and serial numbers",
  url: "(N) Web URLs",
  "ip-address": "(O) IP addresses",
  biometric: "(P) Biometric identifiers, including finger and voice prints",
  photo: "(Q) Full-face photographs and comparable images",
  "other-unique-identifier": "(R) Any other unique identifying number, characteristic, or code",
};

/**
 * 3-digit ZIP prefixes whose area had 20,000 people or fewer (2000 Census, as listed by HHS);
 * Safe Harbor requires "000" for them.
 */
export const RESTRICTED_ZIP3: ReadonlySet<string> = new Set([
  "036",
  "059",
  "063",
  "102",
  "203",
  "556",
  "692",
  "790",
  "821",
  "823",
  "830",
  "831",
  "878",
  "879",
  "884",
  "890",
  "893",
]);

export type PhiAction = "drop" | "generalize";
export type Decision = PhiAction | "keep";

export interface PhiFinding {
  column: string;
  identifier: SafeHarborIdentifier;
  /** Why, without quoting any value. */
  evidence: string;
  suggested: PhiAction;
}

export interface PhiOptions {
  /** Values examined per column (evenly spaced over the rows; default 500). */
  sampleSize?: number;
  /** Year that ages and birth years are measured against (default: the current UTC year). */
  referenceYear?: number;
}

export interface DeidentifyOptions {
  referenceYear?: number;
  /** Ages over 89: "label" -> "90+" (default), "number" -> 90 (keeps the column numeric). */
  ageTopCode?: "label" | "number";
}

// ---------------------------------------------------------------------------------------
// Column-name rules, on normalizeName() output ("Postal_Code" -> "postal code"), first match wins.

interface NameRule {
  re: RegExp;
  identifier: SafeHarborIdentifier;
  suggested: PhiAction;
  what: string;
  /** Only when the column's values fit (e.g. a "date" column that holds dates). */
  when?: (c: Assessed) => boolean;
  generalization?: Generalization;
}

interface Assessed {
  info: ColumnInfo;
  sample: Cell[];
  strings: string[];
  dateShare: number;
  referenceYear: number;
}

const numericMax = (a: Assessed) => (a.info.kind === "numeric" ? (a.info.max ?? -Infinity) : -Infinity);
const numericMin = (a: Assessed) => (a.info.kind === "numeric" ? (a.info.min ?? Infinity) : Infinity);
const holdsDates = (a: Assessed) => a.info.kind === "date" || a.dateShare >= 0.5;
const holdsYears = (a: Assessed) => a.info.kind === "numeric" && numericMin(a) >= 1000 && numericMax(a) <= 9999;

/** Whether the values fit the generalisation a name rule proposes (a "dob" column of 19620315 numbers does not). */
function canGeneralize(g: Generalization, a: Assessed): boolean {
  switch (g) {
    case "year":
      return holdsDates(a);
    case "birth-year":
      return holdsDates(a) || holdsYears(a);
    case "age":
      return a.info.kind === "numeric";
    case "zip3":
      return a.strings.length > 0 || a.info.kind === "numeric";
  }
}

const NAME_RULES: NameRule[] = [
  { re: /\b(ssn|social security( number| no| num)?|social sec)\b/, identifier: "ssn", suggested: "drop", what: "a Social Security number" },
  { re: /\b(e ?mail|email address)\b/, identifier: "email", suggested: "drop", what: "an e-mail address" },
  { re: /\bfax\b/, identifier: "fax", suggested: "drop", what: "a fax number" },
  { re: /\b(phone|telephone|tel|mobile|cell ?phone|pager|contact number)\b/, identifier: "phone", suggested: "drop", what: "a telephone number" },
  {
    re: /\b(mrn|medical record( number| no| num| id)?|chart (number|no|id)|hospital (number|no)|patient (number|no))\b/,
    identifier: "medical-record-number",
    suggested: "drop",
    what: "a medical record number",
  },
  {
    re: /\b(health plan|insurance|insurer|member (id|number|no)|beneficiary|policy (id|number|no)|medicare|medicaid|subscriber|payer id)\b/,
    identifier: "health-plan-number",
    suggested: "drop",
    what: "a health plan beneficiary number",
  },
  { re: /\b(account|acct|billing (id|number|no)|invoice)\b/, identifier: "account-number", suggested: "drop", what: "an account number" },
  { re: /\b(vehicle|vin|licen[cs]e plate|plate (number|no))\b/, identifier: "vehicle-identifier", suggested: "drop", what: "a vehicle identifier" },
  {
    re: /\b(licen[cs]e|drivers? licen[cs]e|certificate|cert (number|no)|dea (number|no))\b/,
    identifier: "license-number",
    suggested: "drop",
    what: "a certificate or license number",
  },
  {
    re: /\b(device (id|identifier|serial|number|no)|serial( number| no)?|udi|imei|mac address)\b/,
    identifier: "device-identifier",
    suggested: "drop",
    what: "a device identifier",
  },
  { re: /\b(url|uri|website|web site|homepage|home page|web page|link)\b/, identifier: "url", suggested: "drop", what: "a web URL" },
  { re: /\b(ip|ip address|ipv4|ipv6)\b/, identifier: "ip-address", suggested: "drop", what: "an IP address" },
  {
    re: /\b(fingerprint|finger print|voiceprint|voice print|biometric|iris scan|retina scan|retinal scan|palm print|face template)\b/,
    identifier: "biometric",
    suggested: "drop",
    what: "a biometric identifier",
  },
  { re: /\b(photo|photograph|picture|headshot|face image|facial image|portrait|selfie)\b/, identifier: "photo", suggested: "drop", what: "a photograph" },
  {
    re: /\b(dob|date of birth|birth ?date|birth day|birthday|born)\b/,
    identifier: "date",
    suggested: "generalize",
    what: "a birth date",
    generalization: "birth-year",
  },
  {
    re: /\b(birth year|year of birth|yob)\b/,
    identifier: "date",
    suggested: "generalize",
    what: "a birth year implying an age over 89",
    when: (a) => numericMin(a) <= a.referenceYear - 90,
    generalization: "birth-year",
  },
  {
    re: /\bage\b/,
    identifier: "date",
    suggested: "generalize",
    what: "an age with values over 89",
    when: (a) => numericMax(a) > 89,
    generalization: "age",
  },
  {
    re: /\b(date|datetime|timestamp|time stamp|dod|dos)\b/,
    identifier: "date",
    suggested: "generalize",
    what: "a date",
    when: holdsDates,
    generalization: "year",
  },
  {
    re: /\b(zip|zipcode|zip code|zip5|postal|postcode|post code)\b/,
    identifier: "geographic",
    suggested: "generalize",
    what: "a ZIP code",
    generalization: "zip3",
  },
  {
    re: /\b(address|street|addr|city|town|county|municipality|district|neighbou?rhood|precinct|geocode|latitude|longitude|lat|lng|coordinates|census tract)\b/,
    identifier: "geographic",
    suggested: "drop",
    what: "a geographic subdivision smaller than a state",
  },
  {
    re: /^names?$|\b(first|last|given|family|middle|full|patient|maiden|mother s|father s|mother|father|spouse|guardian|relative|kin|contact|employer|person|subject|sur|fore|nick|user)( ?name|names)\b|\b(surname|forename|initials|nickname)\b/,
    identifier: "name",
    suggested: "drop",
    what: "a person's name",
  },
  { re: /\b(id|ids|uuid|guid|identifier|passport|national id)\b/, identifier: "other-unique-identifier", suggested: "drop", what: "an identifier" },
];

// ---------------------------------------------------------------------------------------
// Value rules on sampled strings: share of the sample that must match, first match wins.

interface ValueRule {
  test: (s: string) => boolean;
  identifier: SafeHarborIdentifier;
  suggested: PhiAction;
  what: string;
  generalization?: Generalization;
}

const SSN_RE = /^\d{3}-\d{2}-\d{4}$/;
const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[A-Za-z]{2,}$/;
const URL_RE = /^(?:https?|ftp):\/\/\S+$|^www\.\S+\.\S+$/i;
const IPV4_RE = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const IPV6_RE = /^(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}$|^(?=.*::)(?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4}$/i;
const MAC_RE = /^(?:[0-9a-f]{2}[:-]){5}[0-9a-f]{2}$/i;
const PHONE_RE = /^(?:\+?1[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}(?:\s*(?:x|ext\.?)\s*\d{1,5})?$|^\+\d{1,3}(?:[\s.-]\d{1,5}){2,5}$/i;
const MRN_RE = /^MRN[-:#\s]?\d{4,}$/i;
const ZIP_RE = /^\d{5}(?:-\d{4})?$/;
const STREET_RE =
  /^\d{1,6}[A-Za-z]?\s+(?:[A-Za-z0-9.'-]+\s+){0,5}(?:St|Street|Ave|Avenue|Rd|Road|Blvd|Boulevard|Dr|Drive|Ln|Lane|Way|Ct|Court|Pl|Place|Ter|Terrace|Pkwy|Parkway|Hwy|Highway|Cir|Circle|Sq|Square)\b\.?/i;
const VIN_RE = /^(?=.*\d)(?=.*[A-HJ-NPR-Z])[A-HJ-NPR-Z0-9]{17}$/;
const PERSON_RE = /^[A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)*(?: [A-Z]\.?)?(?: (?:[A-Z]'|Mc|Mac|O')?[A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)*){1,2}$/;
const IMAGE_RE = /^data:image\/|\.(?:jpe?g|png|gif|bmp|tiff?|heic|webp|dcm)$/i;

const VALUE_RULES: ValueRule[] = [
  { test: (s) => SSN_RE.test(s), identifier: "ssn", suggested: "drop", what: "Social Security numbers (ddd-dd-dddd)" },
  { test: (s) => EMAIL_RE.test(s), identifier: "email", suggested: "drop", what: "e-mail addresses" },
  { test: (s) => URL_RE.test(s), identifier: "url", suggested: "drop", what: "web URLs" },
  { test: (s) => IPV4_RE.test(s) || IPV6_RE.test(s), identifier: "ip-address", suggested: "drop", what: "IP addresses" },
  { test: (s) => MAC_RE.test(s), identifier: "device-identifier", suggested: "drop", what: "hardware (MAC) addresses" },
  { test: (s) => MRN_RE.test(s), identifier: "medical-record-number", suggested: "drop", what: "medical record numbers (MRN...)" },
  { test: (s) => PHONE_RE.test(s), identifier: "phone", suggested: "drop", what: "telephone numbers" },
  { test: (s) => ZIP_RE.test(s), identifier: "geographic", suggested: "generalize", what: "US ZIP codes", generalization: "zip3" },
  { test: (s) => STREET_RE.test(s), identifier: "geographic", suggested: "drop", what: "street addresses" },
  { test: (s) => VIN_RE.test(s), identifier: "vehicle-identifier", suggested: "drop", what: "vehicle identification numbers" },
  { test: (s) => IMAGE_RE.test(s), identifier: "photo", suggested: "drop", what: "images" },
  { test: (s) => parseDate(s) !== null, identifier: "date", suggested: "generalize", what: "dates", generalization: "year" },
];

/** Identifiers searched for inside free text (one hit is enough). */
const TEXT_RULES: Array<{ re: RegExp; identifier: SafeHarborIdentifier; what: string }> = [
  { re: /\b\d{3}-\d{2}-\d{4}\b/, identifier: "ssn", what: "Social Security numbers" },
  { re: /[^\s@]+@[^\s@]+\.[A-Za-z]{2,}/, identifier: "email", what: "e-mail addresses" },
  { re: /(?:\(\d{3}\)\s?|\b\d{3}[.-])\d{3}[.-]\d{4}\b/, identifier: "phone", what: "telephone numbers" },
  { re: /\bhttps?:\/\/\S+|\bwww\.\S+/i, identifier: "url", what: "web URLs" },
  { re: /\bMRN[-:#\s]?\d{4,}\b/i, identifier: "medical-record-number", what: "medical record numbers" },
];

const VALUE_SHARE = 0.5;
const pct = (x: number) => `${Math.round(x * 100)}%`;

function sampleOf(cells: Cell[], size: number): Cell[] {
  const present = cells.filter((c) => c !== null);
  if (present.length <= size) return present;
  const out: Cell[] = [];
  const step = present.length / size;
  for (let k = 0; k < size; k++) out.push(present[Math.floor(k * step)]);
  return out;
}

interface Assessment {
  finding: PhiFinding | null;
  /** How "generalize" rewrites this column; null = it cannot, so it is dropped. */
  generalization: Generalization | null;
}

function assess(dataset: Dataset, info: ColumnInfo, opts: PhiOptions): Assessment {
  // Already generalised by deidentify(): compliant as it stands.
  if (info.generalized) return { finding: null, generalization: info.generalized };
  const referenceYear = opts.referenceYear ?? new Date().getUTCFullYear();
  const sample = sampleOf(columnValues(dataset, info.name), opts.sampleSize ?? 500);
  const strings = sample.filter((c): c is string => typeof c === "string");
  const dateShare = strings.length ? strings.filter((s) => parseDate(s) !== null).length / sample.length : 0;
  const a: Assessed = { info, sample, strings, dateShare, referenceYear };
  const name = normalizeName(info.name);
  const finding = (identifier: SafeHarborIdentifier, suggested: PhiAction, evidence: string): PhiFinding => ({
    column: info.name,
    identifier,
    evidence,
    suggested,
  });

  for (const rule of NAME_RULES) {
    if (!rule.re.test(name) || (rule.when && !rule.when(a))) continue;
    const generalization = rule.generalization && canGeneralize(rule.generalization, a) ? rule.generalization : null;
    const suggested = rule.suggested === "generalize" && generalization === null ? "drop" : rule.suggested;
    return { finding: finding(rule.identifier, suggested, `the column name suggests ${rule.what}`), generalization };
  }

  if (strings.length > 0 && info.kind !== "numeric") {
    for (const rule of VALUE_RULES) {
      const hits = strings.filter(rule.test).length;
      const share = hits / sample.length;
      if (share < VALUE_SHARE) continue;
      return {
        finding: finding(rule.identifier, rule.suggested, `${pct(share)} of ${sample.length} sampled values look like ${rule.what}`),
        generalization: rule.generalization ?? null,
      };
    }
    if (info.kind === "text") {
      for (const rule of TEXT_RULES) {
        const hits = strings.filter((s) => rule.re.test(s)).length;
        if (hits > 0)
          return {
            finding: finding(rule.identifier, "drop", `free text: ${hits} of ${sample.length} sampled values contain what look like ${rule.what}`),
            generalization: null,
          };
      }
    }
    if (strings.length >= 5) {
      const persons = strings.filter((s) => PERSON_RE.test(s));
      const distinct = new Set(persons).size;
      if (persons.length / sample.length >= VALUE_SHARE && distinct >= 5 && distinct >= 0.5 * persons.length)
        return {
          finding: finding("name", "drop", `${pct(persons.length / sample.length)} of ${sample.length} sampled values look like personal names`),
          generalization: null,
        };
    }
  }
  if (info.kind === "identifier")
    return { finding: finding("other-unique-identifier", "drop", "every value is different, as in an identifier"), generalization: null };
  return { finding: null, generalization: null };
}

/** Columns that look like Safe Harbor identifiers, in column order, one finding per column. */
export function findPhi(dataset: Dataset, opts: PhiOptions = {}): PhiFinding[] {
  const out: PhiFinding[] = [];
  for (const info of dataset.columns) {
    const { finding } = assess(dataset, info, opts);
    if (finding) out.push(finding);
  }
  return out;
}

/** Alias of findPhi. */
export const detectPhi = findPhi;

// ---------------------------------------------------------------------------------------
// Generalisation

/** "02139" / "02139-4307" -> "021"; restricted prefixes -> "000"; anything else -> null. */
export function generalizeZip(value: Cell): string | null {
  if (value === null) return null;
  // A ZIP read as a number lost its leading zeros (2139 was 02139).
  const s = typeof value === "number" ? (Number.isInteger(value) && value >= 0 && value <= 99999 ? String(value).padStart(5, "0") : "") : value.trim();
  const m = /^(\d{3})(?:\d{2}(?:-?\d{4})?)?$/.exec(s);
  if (!m) return null;
  return RESTRICTED_ZIP3.has(m[1]) ? "000" : m[1];
}

/** The year of a date value, or null. */
export function dateYear(value: Cell): number | null {
  if (value === null || typeof value === "number") return null;
  return parseDate(value.trim())?.year ?? null;
}

/** Birth year, aggregating every year that could mean an age of 90 or more into referenceYear - 90. */
export function birthYear(value: Cell, referenceYear: number): number | null {
  const year = typeof value === "number" ? (Number.isInteger(value) ? value : null) : dateYear(value);
  if (year === null) return null;
  return Math.max(year, referenceYear - 90);
}

/** Ages over 89 -> "90+" (or 90). */
export function topCodeAge(value: Cell, as: "label" | "number" = "label"): Cell {
  if (typeof value !== "number") return value;
  return value > 89 ? (as === "label" ? "90+" : 90) : value;
}

function generalizeCell(g: Generalization, v: Cell, opts: Required<DeidentifyOptions>): Cell {
  switch (g) {
    case "year":
      return dateYear(v);
    case "birth-year":
      return birthYear(v, opts.referenceYear);
    case "zip3":
      return generalizeZip(v);
    case "age":
      return topCodeAge(v, opts.ageTopCode);
  }
}

/**
 * A copy of the dataset with each column dropped, generalised or kept as decided (columns not
 * in `decisions` are kept). "generalize" on a column that cannot be generalised drops it; on
 * a column generalised before, it keeps it as it is (so deidentify is idempotent).
 */
export function deidentify(dataset: Dataset, decisions: Record<string, Decision>, opts: DeidentifyOptions = {}): Dataset {
  const o: Required<DeidentifyOptions> = { referenceYear: opts.referenceYear ?? new Date().getUTCFullYear(), ageTopCode: opts.ageTopCode ?? "label" };
  const plan: Array<{ info: ColumnInfo; g: Generalization | null }> = [];
  for (const info of dataset.columns) {
    const d = decisions[info.name] ?? "keep";
    if (d === "drop") continue;
    if (d === "keep" || info.generalized) {
      plan.push({ info, g: null });
      continue;
    }
    const g = assess(dataset, info, { referenceYear: o.referenceYear }).generalization ?? fallbackGeneralization(dataset, info);
    if (g) plan.push({ info, g });
  }
  const rows: Row[] = dataset.rows.map((r) => {
    const row: Row = {};
    for (const { info, g } of plan) {
      const v = r[info.name] ?? null;
      setCell(row, info.name, g ? generalizeCell(g, v, o) : v);
    }
    return row;
  });
  const columns = plan.map(({ info, g }) => {
    if (!g) return info;
    const cells = rows.map((r) => r[info.name]);
    const next: ColumnInfo = { ...summarize(info.name, inferCellKind(info.name, cells), cells), generalized: g };
    if (info.code) next.code = info.code;
    if (info.unit) next.unit = info.unit;
    return next;
  });
  return { source: dataset.source, columns, rows };
}

/** "generalize" chosen by the user on a column detection did not flag: dates -> year, ZIP codes -> zip3. */
function fallbackGeneralization(dataset: Dataset, info: ColumnInfo): Generalization | null {
  const strings = sampleOf(columnValues(dataset, info.name), 500).filter((c): c is string => typeof c === "string");
  if (strings.length === 0) return null;
  if (strings.every((s) => parseDate(s) !== null)) return "year";
  if (strings.every((s) => ZIP_RE.test(s.trim()))) return "zip3";
  return null;
}

/** Apply every finding's suggestion. */
export function deidentifyAll(dataset: Dataset, opts: DeidentifyOptions = {}): Dataset {
  const decisions: Record<string, Decision> = {};
  for (const f of findPhi(dataset, { referenceYear: opts.referenceYear })) decisions[f.column] = f.suggested;
  return deidentify(dataset, decisions, opts);
}
