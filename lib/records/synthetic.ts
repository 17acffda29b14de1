/**
 * Seeded synthetic patients (no real people) for the demo and load tests: vitals and labs with
 * three phenotypes as clusters, correlated within a patient through two latent factors
 * (metabolic load, cardiac stress), plus fake identifiers so the PHI warning has something to
 * find: names from common-name lists, 555-01xx phone numbers, example.com e-mail addresses,
 * never-issued 9xx Social Security numbers, MRNs, addresses, birth dates.
 *
 * toCsv and toFhirBundle write the same table: parseCsvDataset(toCsv(p)) and
 * parseFhirBundle(JSON.stringify(toFhirBundle(p))) give the rows of patientRow(p).
 */
import { gaussian, mulberry32, type Rng } from "../hopcm/prng";
import { writeCsv } from "./csv";
import type { Row } from "./dataset";
import { IDENTIFIER_TYPE_SYSTEM, LOINC_SYSTEM, SSN_SYSTEM, UCUM_SYSTEM } from "./fhir-import";

export const PHENOTYPES = ["healthy", "metabolic-syndrome", "cardiac"] as const;
export type Phenotype = (typeof PHENOTYPES)[number];
export const PHENOTYPE_LABELS: Record<Phenotype, string> = {
  healthy: "Healthy adult",
  "metabolic-syndrome": "Metabolic syndrome",
  cardiac: "Cardiac (heart failure / myocardial injury)",
};

export type MeasureKey =
  | "age"
  | "heartRate"
  | "systolicBp"
  | "diastolicBp"
  | "bodyTemperature"
  | "bmi"
  | "glucose"
  | "hba1c"
  | "triglycerides"
  | "cholesterol"
  | "hdl"
  | "troponinI"
  | "bnp"
  | "lvef";

export interface Measure {
  key: MeasureKey;
  loinc: string;
  /** LOINC long common name (coding.display). */
  display: string;
  /** Short name (code.text); the column is "<loinc> <text>". */
  text: string;
  /** UCUM code. */
  unit: string;
  category: "vital-signs" | "laboratory" | "exam" | "survey";
  decimals: number;
  min: number;
  max: number;
}

export const MEASURES: readonly Measure[] = [
  { key: "age", loinc: "30525-0", display: "Age", text: "Age", unit: "a", category: "survey", decimals: 0, min: 18, max: 104 },
  { key: "heartRate", loinc: "8867-4", display: "Heart rate", text: "Heart rate", unit: "/min", category: "vital-signs", decimals: 0, min: 40, max: 180 },
  {
    key: "systolicBp",
    loinc: "8480-6",
    display: "Systolic blood pressure",
    text: "Systolic blood pressure",
    unit: "mm[Hg]",
    category: "vital-signs",
    decimals: 0,
    min: 85,
    max: 220,
  },
  {
    key: "diastolicBp",
    loinc: "8462-4",
    display: "Diastolic blood pressure",
    text: "Diastolic blood pressure",
    unit: "mm[Hg]",
    category: "vital-signs",
    decimals: 0,
    min: 45,
    max: 130,
  },
  {
    key: "bodyTemperature",
    loinc: "8310-5",
    display: "Body temperature",
    text: "Body temperature",
    unit: "Cel",
    category: "vital-signs",
    decimals: 1,
    min: 35.5,
    max: 40.5,
  },
  {
    key: "bmi",
    loinc: "39156-5",
    display: "Body mass index (BMI) [Ratio]",
    text: "BMI",
    unit: "kg/m2",
    category: "vital-signs",
    decimals: 1,
    min: 15,
    max: 60,
  },
  {
    key: "glucose",
    loinc: "2339-0",
    display: "Glucose [Mass/volume] in Blood",
    text: "Glucose",
    unit: "mg/dL",
    category: "laboratory",
    decimals: 0,
    min: 55,
    max: 450,
  },
  {
    key: "hba1c",
    loinc: "4548-4",
    display: "Hemoglobin A1c/Hemoglobin.total in Blood",
    text: "HbA1c",
    unit: "%",
    category: "laboratory",
    decimals: 1,
    min: 4,
    max: 14,
  },
  {
    key: "triglycerides",
    loinc: "2571-8",
    display: "Triglyceride [Mass/volume] in Serum or Plasma",
    text: "Triglycerides",
    unit: "mg/dL",
    category: "laboratory",
    decimals: 0,
    min: 35,
    max: 900,
  },
  {
    key: "cholesterol",
    loinc: "2093-3",
    display: "Cholesterol [Mass/volume] in Serum or Plasma",
    text: "Cholesterol",
    unit: "mg/dL",
    category: "laboratory",
    decimals: 0,
    min: 100,
    max: 380,
  },
  {
    key: "hdl",
    loinc: "2085-9",
    display: "Cholesterol in HDL [Mass/volume] in Serum or Plasma",
    text: "HDL cholesterol",
    unit: "mg/dL",
    category: "laboratory",
    decimals: 0,
    min: 18,
    max: 110,
  },
  {
    key: "troponinI",
    loinc: "10839-9",
    display: "Troponin I.cardiac [Mass/volume] in Serum or Plasma",
    text: "Troponin I",
    unit: "ng/mL",
    category: "laboratory",
    decimals: 3,
    min: 0.001,
    max: 50,
  },
  {
    key: "bnp",
    loinc: "30934-4",
    display: "Natriuretic peptide B [Mass/volume] in Serum or Plasma",
    text: "BNP",
    unit: "pg/mL",
    category: "laboratory",
    decimals: 0,
    min: 5,
    max: 5000,
  },
  { key: "lvef", loinc: "10230-1", display: "Left ventricular Ejection fraction", text: "LVEF", unit: "%", category: "exam", decimals: 0, min: 10, max: 75 },
];

/** Code system of the phenotype label Observation (not a clinical code). */
export const SYNTHETIC_CODE_SYSTEM = "https://medshare.example/fhir/CodeSystem/synthetic";
export const PHENOTYPE_COLUMN = "phenotype";
/** Patient columns the generator fills, named and ordered as parseFhirBundle names them. */
export const SYNTHETIC_PATIENT_COLUMNS = [
  "id",
  "mrn",
  "ssn",
  "name",
  "gender",
  "birthDate",
  "address",
  "city",
  "state",
  "postalCode",
  "country",
  "phone",
  "email",
] as const;

export const measureColumn = (m: Measure): string => `${m.loinc} ${m.text}`;
/** Every column of the synthetic table, in order. */
export const SYNTHETIC_COLUMNS: readonly string[] = [...SYNTHETIC_PATIENT_COLUMNS, ...MEASURES.map(measureColumn), PHENOTYPE_COLUMN];

export interface PatientRecord {
  /** UUID; the FHIR Patient.id and fullUrl urn:uuid. */
  id: string;
  mrn: string;
  ssn: string;
  given: string[];
  family: string;
  gender: "female" | "male";
  birthDate: string;
  address: { line: string[]; city: string; state: string; postalCode: string; country: string };
  phone: string;
  email: string;
  phenotype: Phenotype;
  /** When the measurements were taken (ISO date-time, UTC). */
  effectiveDateTime: string;
  /** Latest value of each measure; absent when not measured. Age is in whole years at effectiveDateTime. */
  values: Partial<Record<MeasureKey, number>>;
  /** Older measurements (FHIR only; the table holds the latest). */
  earlier: Array<{ key: MeasureKey; value: number; effectiveDateTime: string }>;
}

export interface GenerateOptions {
  n: number;
  seed: number;
  /** Mixture weights (default healthy 0.5, metabolic-syndrome 0.3, cardiac 0.2); missing ones are 0. */
  phenotypes?: Partial<Record<Phenotype, number>>;
  /** Probability that a lab or vital (not age) was not measured (default 0.02). */
  missingRate?: number;
  /** Measurements fall in the year before this date (default "2025-01-01"). */
  referenceDate?: string;
}

// ---------------------------------------------------------------------------------------
// Phenotype parameters. Normal: [mean, sd]; log-normal: [median, sd of ln]. Loadings on the
// latent factors (metabolic load zm, cardiac stress zc) give within-cluster correlations.

interface Dist {
  mean: number;
  sd: number;
  log?: boolean;
  zm?: number;
  zc?: number;
}
type PhenotypeParams = { age: [number, number] } & Record<Exclude<MeasureKey, "age" | "hba1c" | "diastolicBp">, Dist> & { diastolicBp: Dist };

const PARAMS: Record<Phenotype, PhenotypeParams> = {
  healthy: {
    age: [42, 14],
    heartRate: { mean: 68, sd: 8, zc: 0.2 },
    systolicBp: { mean: 117, sd: 9, zm: 0.4 },
    diastolicBp: { mean: 75, sd: 5 },
    bodyTemperature: { mean: 36.8, sd: 0.25 },
    bmi: { mean: 23.5, sd: 2.6, zm: 0.6 },
    glucose: { mean: 90, sd: 8, zm: 0.5 },
    triglycerides: { mean: 100, sd: 0.3, log: true, zm: 0.5 },
    cholesterol: { mean: 182, sd: 26, zm: 0.3 },
    hdl: { mean: 58, sd: 10, zm: -0.5 },
    troponinI: { mean: 0.005, sd: 0.5, log: true, zc: 0.6 },
    bnp: { mean: 25, sd: 0.5, log: true, zc: 0.6 },
    lvef: { mean: 62, sd: 4, zc: -0.5 },
  },
  "metabolic-syndrome": {
    age: [56, 11],
    heartRate: { mean: 80, sd: 9, zc: 0.2, zm: 0.2 },
    systolicBp: { mean: 142, sd: 12, zm: 0.5 },
    diastolicBp: { mean: 89, sd: 6 },
    bodyTemperature: { mean: 36.8, sd: 0.25 },
    bmi: { mean: 33.5, sd: 4, zm: 0.7 },
    glucose: { mean: 140, sd: 26, zm: 0.6 },
    triglycerides: { mean: 230, sd: 0.3, log: true, zm: 0.5 },
    cholesterol: { mean: 228, sd: 32, zm: 0.4 },
    hdl: { mean: 38, sd: 6, zm: -0.5 },
    troponinI: { mean: 0.01, sd: 0.6, log: true, zc: 0.6 },
    bnp: { mean: 55, sd: 0.6, log: true, zc: 0.6 },
    lvef: { mean: 57, sd: 5, zc: -0.5 },
  },
  cardiac: {
    age: [70, 11],
    heartRate: { mean: 97, sd: 14, zc: 0.5 },
    systolicBp: { mean: 124, sd: 17, zc: -0.3 },
    diastolicBp: { mean: 76, sd: 8 },
    bodyTemperature: { mean: 37, sd: 0.35 },
    bmi: { mean: 27.5, sd: 4.5, zm: 0.6 },
    glucose: { mean: 112, sd: 20, zm: 0.5 },
    triglycerides: { mean: 140, sd: 0.4, log: true, zm: 0.5 },
    cholesterol: { mean: 190, sd: 34, zm: 0.3 },
    hdl: { mean: 44, sd: 9, zm: -0.4 },
    troponinI: { mean: 0.9, sd: 0.9, log: true, zc: 0.7 },
    bnp: { mean: 950, sd: 0.6, log: true, zc: 0.7 },
    lvef: { mean: 34, sd: 8, zc: -0.6 },
  },
};

const DEFAULT_WEIGHTS: Record<Phenotype, number> = { healthy: 0.5, "metabolic-syndrome": 0.3, cardiac: 0.2 };

// ---------------------------------------------------------------------------------------
// Fake identities. Common first and last names, combined at random: no real people.

const GIVEN_FEMALE = [
  "Mary",
  "Patricia",
  "Jennifer",
  "Linda",
  "Elizabeth",
  "Barbara",
  "Susan",
  "Jessica",
  "Sarah",
  "Karen",
  "Nancy",
  "Lisa",
  "Betty",
  "Sandra",
  "Ashley",
  "Emily",
  "Donna",
  "Michelle",
  "Carol",
  "Amanda",
  "Melissa",
  "Deborah",
  "Laura",
  "Rebecca",
  "Sharon",
  "Cynthia",
  "Kathleen",
  "Amy",
  "Angela",
  "Helen",
  "Anna",
  "Maria",
  "Sofia",
  "Olivia",
  "Emma",
  "Grace",
  "Chloe",
  "Priya",
  "Mei",
  "Fatima",
];
const GIVEN_MALE = [
  "James",
  "Robert",
  "John",
  "Michael",
  "David",
  "William",
  "Richard",
  "Joseph",
  "Thomas",
  "Charles",
  "Christopher",
  "Daniel",
  "Matthew",
  "Anthony",
  "Mark",
  "Donald",
  "Steven",
  "Paul",
  "Andrew",
  "Joshua",
  "Kenneth",
  "Kevin",
  "Brian",
  "George",
  "Timothy",
  "Ronald",
  "Jason",
  "Edward",
  "Jeffrey",
  "Ryan",
  "Jacob",
  "Gary",
  "Nicholas",
  "Eric",
  "Luis",
  "Carlos",
  "Ahmed",
  "Wei",
  "Raj",
  "Omar",
];
const FAMILY = [
  "Smith",
  "Johnson",
  "Williams",
  "Brown",
  "Jones",
  "Garcia",
  "Miller",
  "Davis",
  "Rodriguez",
  "Martinez",
  "Hernandez",
  "Lopez",
  "Gonzalez",
  "Wilson",
  "Anderson",
  "Thomas",
  "Taylor",
  "Moore",
  "Jackson",
  "Martin",
  "Lee",
  "Perez",
  "Thompson",
  "White",
  "Harris",
  "Sanchez",
  "Clark",
  "Ramirez",
  "Lewis",
  "Robinson",
  "Walker",
  "Young",
  "Allen",
  "King",
  "Wright",
  "Scott",
  "Torres",
  "Nguyen",
  "Hill",
  "Flores",
  "Green",
  "Adams",
  "Nelson",
  "Baker",
  "Hall",
  "Rivera",
  "Campbell",
  "Mitchell",
  "Carter",
  "Roberts",
  "O'Brien",
  "Kowalski",
  "Patel",
  "Chen",
  "Kim",
  "Schmidt",
  "Novak",
  "Rossi",
  "Okafor",
  "Haddad",
];
const STREETS = [
  "Oak",
  "Maple",
  "Cedar",
  "Elm",
  "Pine",
  "Washington",
  "Lake",
  "Hill",
  "Park",
  "Main",
  "Church",
  "Mill",
  "River",
  "Sunset",
  "Highland",
  "Walnut",
  "Chestnut",
  "Spring",
  "Meadow",
  "Franklin",
  "Jefferson",
  "Lincoln",
  "Madison",
  "Willow",
  "Birch",
];
const SUFFIXES = ["St", "Ave", "Rd", "Ln", "Dr", "Ct", "Way", "Blvd", "Pl", "Ter"];

/** City, state, area code, 3-digit ZIP prefix. The last ten are HHS-restricted prefixes (ZIP3 -> "000"). */
const PLACES: Array<[string, string, string, string]> = [
  ["Boston", "MA", "617", "021"],
  ["Worcester", "MA", "508", "016"],
  ["Hartford", "CT", "860", "061"],
  ["Springfield", "IL", "217", "627"],
  ["Columbus", "OH", "614", "432"],
  ["Austin", "TX", "512", "787"],
  ["Denver", "CO", "303", "802"],
  ["Portland", "OR", "503", "972"],
  ["Madison", "WI", "608", "537"],
  ["Raleigh", "NC", "919", "276"],
  ["Sacramento", "CA", "916", "958"],
  ["Nashville", "TN", "615", "372"],
  ["Albuquerque", "NM", "505", "871"],
  ["Burlington", "VT", "802", "054"],
  ["Atlanta", "GA", "404", "303"],
  ["Minneapolis", "MN", "612", "554"],
  ["New London", "CT", "860", "063"],
  ["Grand Marais", "MN", "218", "556"],
  ["Valentine", "NE", "402", "692"],
  ["Rawlins", "WY", "307", "823"],
  ["Jackson", "WY", "307", "830"],
  ["Kemmerer", "WY", "307", "831"],
  ["Socorro", "NM", "575", "878"],
  ["Truth or Consequences", "NM", "575", "879"],
  ["Tucumcari", "NM", "575", "884"],
  ["Ely", "NV", "775", "893"],
];
const RESTRICTED_PLACES = 10;

// ---------------------------------------------------------------------------------------

const DAY = 86_400_000;
const round = (x: number, decimals: number) => {
  const f = 10 ** decimals;
  return Math.round(x * f) / f;
};
const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));
const pick = <T>(list: readonly T[], rng: Rng): T => list[Math.floor(rng() * list.length)];
const digits = (n: number, rng: Rng) => {
  let s = "";
  for (let i = 0; i < n; i++) s += Math.floor(rng() * 10);
  return s;
};
const isoDate = (t: number) => new Date(t).toISOString().slice(0, 10);
const isoDateTime = (t: number) => new Date(t).toISOString().replace(/\.\d{3}Z$/, "Z");

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** A random (version 4) UUID from the seeded generator. */
function uuid(rng: Rng): string {
  let h = "";
  for (let i = 0; i < 16; i++) {
    let b = Math.floor(rng() * 256);
    if (i === 6) b = (b & 0x0f) | 0x40; // version 4
    if (i === 8) b = (b & 0x3f) | 0x80; // RFC 4122 variant
    h += HEX[b];
    if (i === 3 || i === 5 || i === 7 || i === 9) h += "-";
  }
  return h;
}

/** Whole years from birth to t (UTC calendar). */
function ageAt(birth: number, t: number): number {
  const b = new Date(birth);
  const d = new Date(t);
  let age = d.getUTCFullYear() - b.getUTCFullYear();
  if (d.getUTCMonth() < b.getUTCMonth() || (d.getUTCMonth() === b.getUTCMonth() && d.getUTCDate() < b.getUTCDate())) age--;
  return age;
}

function measureValue(m: Measure, x: number): number {
  return round(clamp(x, m.min, m.max), m.decimals);
}

const MEASURE = Object.fromEntries(MEASURES.map((m) => [m.key, m])) as Record<MeasureKey, Measure>;

export function generatePatients(opts: GenerateOptions): PatientRecord[] {
  const { n, seed } = opts;
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`n must be a non-negative integer, got ${n}`);
  if (!Number.isFinite(seed)) throw new RangeError(`seed must be a number, got ${seed}`);
  const weights = opts.phenotypes ? PHENOTYPES.map((p) => Math.max(0, opts.phenotypes?.[p] ?? 0)) : PHENOTYPES.map((p) => DEFAULT_WEIGHTS[p]);
  const total = weights.reduce((a, b) => a + b, 0);
  if (!(total > 0)) throw new RangeError("at least one phenotype needs a positive weight");
  const missingRate = opts.missingRate ?? 0.02;
  const ref = Date.parse(opts.referenceDate ?? "2025-01-01");
  if (!Number.isFinite(ref)) throw new RangeError(`invalid referenceDate ${opts.referenceDate}`);

  const rng = mulberry32(seed);
  const normal = gaussian(rng);
  const out: PatientRecord[] = [];
  for (let j = 0; j < n; j++) {
    let u = rng() * total;
    let k = 0;
    while (k < PHENOTYPES.length - 1 && u >= weights[k]) u -= weights[k++];
    while (weights[k] === 0) k--; // rounding at the top end
    const phenotype = PHENOTYPES[k];
    const P = PARAMS[phenotype];

    // Identity
    const gender = rng() < 0.5 ? "female" : "male";
    const given = [pick(gender === "female" ? GIVEN_FEMALE : GIVEN_MALE, rng)];
    if (rng() < 0.3) given.push(pick(gender === "female" ? GIVEN_FEMALE : GIVEN_MALE, rng));
    const family = pick(FAMILY, rng);
    const place =
      rng() < 0.1 ? PLACES[PLACES.length - 1 - Math.floor(rng() * RESTRICTED_PLACES)] : PLACES[Math.floor(rng() * (PLACES.length - RESTRICTED_PLACES))];
    const [city, state, area, zip3] = place;
    const line = [`${1 + Math.floor(rng() * 9899)} ${pick(STREETS, rng)} ${pick(SUFFIXES, rng)}`];
    if (rng() < 0.15) line.push(`Apt ${1 + Math.floor(rng() * 40)}${pick(["", "A", "B"], rng)}`);

    // When, and how old
    const when = ref - Math.floor(rng() * 365 * DAY) - Math.floor(rng() * 10 * 3600_000) - 6 * 3600_000;
    const targetAge = clamp(Math.round(P.age[0] + P.age[1] * normal()), 18, 102);
    const birth = Math.floor((when - (targetAge + rng()) * 365.2425 * DAY) / DAY) * DAY;
    const age = ageAt(birth, when);

    // Measures: latent factors shared within the patient.
    const zm = normal();
    const zc = normal();
    const draw = (d: Dist, ageShift = 0) => {
      const a = d.zm ?? 0;
      const b = d.zc ?? 0;
      const z = a * zm + b * zc + Math.sqrt(Math.max(0, 1 - a * a - b * b)) * normal();
      return d.log ? d.mean * Math.exp(d.sd * z) : d.mean + d.sd * z + ageShift;
    };
    const raw: Record<MeasureKey, number> = {} as Record<MeasureKey, number>;
    raw.age = age;
    raw.heartRate = draw(P.heartRate);
    raw.systolicBp = draw(P.systolicBp, 0.4 * (age - P.age[0])); // SBP rises with age
    raw.diastolicBp = draw(P.diastolicBp) + 0.45 * (raw.systolicBp - P.systolicBp.mean);
    raw.bodyTemperature = draw(P.bodyTemperature);
    raw.bmi = draw(P.bmi);
    raw.glucose = draw(P.glucose);
    raw.hba1c = 5.2 + 0.033 * (raw.glucose - 90) + 0.25 * normal(); // HbA1c tracks glucose
    raw.triglycerides = draw(P.triglycerides);
    raw.cholesterol = draw(P.cholesterol) + 0.15 * (raw.triglycerides - P.triglycerides.mean);
    raw.hdl = draw(P.hdl);
    raw.troponinI = draw(P.troponinI);
    raw.bnp = draw(P.bnp) * (1 + Math.max(0, age - 60) / 40); // BNP rises with age
    raw.lvef = draw(P.lvef);

    const values: Partial<Record<MeasureKey, number>> = {};
    for (const m of MEASURES) {
      let v = measureValue(m, raw[m.key]);
      if (m.key === "diastolicBp") v = Math.min(v, (values.systolicBp ?? Infinity) - 15);
      if (m.key !== "age" && rng() < missingRate) continue;
      values[m.key] = v;
    }
    const earlier: PatientRecord["earlier"] = [];
    if (rng() < 0.25) {
      const before = when - (90 + Math.floor(rng() * 630)) * DAY;
      for (const m of MEASURES) {
        const v = values[m.key];
        if (m.key === "age" || v === undefined || rng() > 0.3) continue;
        earlier.push({ key: m.key, value: measureValue(m, v * (1 + 0.08 * normal())), effectiveDateTime: isoDateTime(before) });
      }
    }

    out.push({
      id: uuid(rng),
      mrn: `MRN-${digits(8, rng)}`,
      ssn: `9${digits(2, rng)}-${String(10 + Math.floor(rng() * 60))}-${String(1 + Math.floor(rng() * 9998)).padStart(4, "0")}`,
      given,
      family,
      gender,
      birthDate: isoDate(birth),
      address: { line, city, state, postalCode: `${zip3}${digits(2, rng)}`, country: "US" },
      phone: `(${area}) 555-01${digits(2, rng)}`,
      email: `${given[0]}.${family}${Math.floor(rng() * 100)}@example.com`.toLowerCase().replace(/'/g, ""),
      phenotype,
      effectiveDateTime: isoDateTime(when),
      values,
      earlier,
    });
  }
  return out;
}

/** A patient as the row parseCsvDataset / parseFhirBundle produce (SYNTHETIC_COLUMNS, missing -> null). */
export function patientRow(p: PatientRecord): Row {
  const row: Row = {
    id: p.id,
    mrn: p.mrn,
    ssn: p.ssn,
    name: [...p.given, p.family].join(" "),
    gender: p.gender,
    birthDate: p.birthDate,
    address: p.address.line.join(", "),
    city: p.address.city,
    state: p.address.state,
    postalCode: p.address.postalCode,
    country: p.address.country,
    phone: p.phone,
    email: p.email,
  };
  for (const m of MEASURES) row[measureColumn(m)] = p.values[m.key] ?? null;
  row[PHENOTYPE_COLUMN] = p.phenotype;
  return row;
}

export function toCsv(patients: readonly PatientRecord[]): string {
  return writeCsv(SYNTHETIC_COLUMNS, patients.map(patientRow));
}

// ---------------------------------------------------------------------------------------
// FHIR R4

type Resource = { resourceType: string; id: string } & Record<string, unknown>;
export interface FhirBundle {
  resourceType: "Bundle";
  id: string;
  type: "collection";
  timestamp: string;
  entry: Array<{ fullUrl: string; resource: Resource }>;
}

const CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/observation-category";

function patientResource(p: PatientRecord): Resource {
  return {
    resourceType: "Patient",
    id: p.id,
    meta: { tag: [{ system: SYNTHETIC_CODE_SYSTEM, code: "synthetic", display: "Synthetic data (no real person)" }] },
    identifier: [
      {
        use: "usual",
        type: { coding: [{ system: IDENTIFIER_TYPE_SYSTEM, code: "MR", display: "Medical record number" }] },
        system: "https://medshare.example/fhir/sid/mrn",
        value: p.mrn,
      },
      { type: { coding: [{ system: IDENTIFIER_TYPE_SYSTEM, code: "SS", display: "Social Security number" }] }, system: SSN_SYSTEM, value: p.ssn },
    ],
    name: [{ use: "official", family: p.family, given: p.given }],
    telecom: [
      { system: "phone", value: p.phone, use: "home" },
      { system: "email", value: p.email },
    ],
    gender: p.gender,
    birthDate: p.birthDate,
    address: [
      { use: "home", line: p.address.line, city: p.address.city, state: p.address.state, postalCode: p.address.postalCode, country: p.address.country },
    ],
  };
}

function observation(id: string, subject: string, m: Measure, value: number, when: string): Resource {
  return {
    resourceType: "Observation",
    id,
    status: "final",
    category: [{ coding: [{ system: CATEGORY_SYSTEM, code: m.category }] }],
    code: { coding: [{ system: LOINC_SYSTEM, code: m.loinc, display: m.display }], text: m.text },
    subject: { reference: subject },
    effectiveDateTime: when,
    valueQuantity: { value, unit: m.unit, system: UCUM_SYSTEM, code: m.unit },
  };
}

/**
 * A Bundle of type "collection": per patient the Patient, its latest Observations, the
 * phenotype label Observation, then older Observations (placed last so that order alone
 * would pick the wrong value; the importer must go by effectiveDateTime).
 */
export function toFhirBundle(patients: readonly PatientRecord[], opts: { id?: string } = {}): FhirBundle {
  const entry: FhirBundle["entry"] = [];
  let latest = 0;
  for (const p of patients) {
    const rng = mulberry32(fnv1a(p.id)); // observation ids depend on the patient only
    const subject = `urn:uuid:${p.id}`;
    entry.push({ fullUrl: subject, resource: patientResource(p) });
    const add = (r: Resource) => entry.push({ fullUrl: `urn:uuid:${r.id}`, resource: r });
    for (const m of MEASURES) {
      const v = p.values[m.key];
      if (v !== undefined) add(observation(uuid(rng), subject, m, v, p.effectiveDateTime));
    }
    add({
      resourceType: "Observation",
      id: uuid(rng),
      status: "final",
      code: { coding: [{ system: SYNTHETIC_CODE_SYSTEM, code: PHENOTYPE_COLUMN, display: "Synthetic phenotype" }], text: PHENOTYPE_COLUMN },
      subject: { reference: subject },
      effectiveDateTime: p.effectiveDateTime,
      valueCodeableConcept: { coding: [{ system: SYNTHETIC_CODE_SYSTEM, code: p.phenotype, display: PHENOTYPE_LABELS[p.phenotype] }], text: p.phenotype },
    });
    for (const e of p.earlier) add(observation(uuid(rng), subject, MEASURE[e.key], e.value, e.effectiveDateTime));
    latest = Math.max(latest, Date.parse(p.effectiveDateTime));
  }
  return {
    resourceType: "Bundle",
    id: opts.id ?? `synthetic-${patients.length}-${patients.length ? fnv1a(patients[0].id).toString(16) : "0"}`,
    type: "collection",
    timestamp: isoDateTime(latest || Date.parse("2025-01-01")),
    entry,
  };
}

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
