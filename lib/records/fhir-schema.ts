/**
 * The subset of a FHIR R4 Bundle that fhir-import.ts reads, as zod schemas over the R4 types of
 * @types/fhir. Parsed once, at the boundary; the importer then walks typed data.
 *
 * The schemas never reject a resource: what the importer tolerates is normalised here (strings
 * trimmed, an empty or non-string text is absent, lists keep their objects), and what it reports
 * as an error with a JSON path (value[x] or a component of the wrong JSON type, a
 * valueQuantity.value that is not a number) arrives as `Invalid`, holding the JSON as found.
 */
import type { Address, CodeableConcept, Coding, ContactPoint, HumanName, Identifier, Observation, Patient, Period, Quantity, Reference } from "fhir/r4";
import { z } from "../validation/zod"; // jitless in the browser: the pages' CSP has no unsafe-eval

/** A value present with the wrong JSON type; the importer names the type in its message. */
export interface Invalid {
  invalid: unknown;
}
export const isInvalid = (v: unknown): v is Invalid => typeof v === "object" && v !== null && "invalid" in v;
/** The JSON type of a value as the importer's messages name it. */
export const jsonType = (v: unknown): string => (Array.isArray(v) ? "array" : typeof v);

/** FHIR R4 types as read: every field optional, code-valued strings widened to string (any text is kept). */
type Read<T> = T extends string ? string : T extends readonly (infer U)[] ? Read<U>[] : T extends object ? { [K in keyof T]?: Read<T[K]> } : T;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

// `z.unknown().optional()` first: a missing key is read like a present one of the wrong type.
const any = z.unknown().optional();
/** A string field: trimmed, absent unless a non-empty string. */
const trimmed = (v: unknown): string | undefined => (typeof v === "string" && v.trim() !== "" ? v.trim() : undefined);
const text = any.transform(trimmed);
const texts = any.transform((v) => (Array.isArray(v) ? v.flatMap((x) => (typeof x === "string" && x.trim() !== "" ? [x.trim()] : [])) : []));
/** An object field: absent unless a JSON object. */
type ObjectSchema = z.ZodType<unknown, Record<string, unknown>>;
const object = <S extends ObjectSchema>(schema: S) => any.transform((v) => (isObject(v) ? v : undefined)).pipe(schema.optional());
/** A list of objects: the items that are objects (others are ignored), [] unless an array. */
const objects = <S extends ObjectSchema>(schema: S) => any.transform((v) => (Array.isArray(v) ? v.filter(isObject) : [])).pipe(z.array(schema));
/** A field the importer checks: absent, of the expected type, or Invalid. */
const checked = <S extends z.ZodType>(schema: S) =>
  any.transform((v): z.output<S> | Invalid | undefined => {
    if (v === undefined) return undefined;
    const r = schema.safeParse(v);
    return r.success ? r.data : { invalid: v };
  });

const coding = z.object({ system: text, code: text, display: text }) satisfies z.ZodType<Read<Coding>>;
const codeableConcept = z.object({ coding: objects(coding), text }) satisfies z.ZodType<Read<CodeableConcept>>;

const identifier = z.object({ system: text, type: object(z.object({ coding: objects(coding) })), value: text }) satisfies z.ZodType<Read<Identifier>>;
const humanName = z.object({ use: text, text, family: text, given: texts }) satisfies z.ZodType<Read<HumanName>>;
const address = z.object({ use: text, line: texts, city: text, district: text, state: text, postalCode: text, country: text }) satisfies z.ZodType<
  Read<Address>
>;
const contactPoint = z.object({ system: text, use: text, value: text }) satisfies z.ZodType<Read<ContactPoint>>;

export const patientSchema = z.object({
  resourceType: text,
  id: text,
  identifier: objects(identifier),
  name: objects(humanName),
  gender: text,
  birthDate: text,
  deceasedDateTime: text,
  address: objects(address),
  telecom: objects(contactPoint),
}) satisfies z.ZodType<Read<Patient>>;

/** valueQuantity as read: `value` a finite number, or Invalid (reported with the JSON found). */
const quantity = z.object({
  value: checked(z.number().refine(Number.isFinite)),
  comparator: any,
  unit: text,
  system: text,
  code: text,
});
type QuantityRead = Omit<Read<Quantity>, "value" | "comparator"> & { value?: number | Invalid; comparator?: unknown };
quantity satisfies z.ZodType<QuantityRead>;

/** value[x] as read: each of the wrong JSON type is Invalid. Unsupported kinds are only seen to be present. */
const valueFields = {
  valueQuantity: checked(quantity),
  valueCodeableConcept: checked(codeableConcept),
  valueString: checked(z.string()),
  valueBoolean: checked(z.boolean()),
  valueInteger: checked(z.number().int()),
  valueRange: any,
  valueRatio: any,
  valueSampledData: any,
  valueTime: checked(z.string()),
  valueDateTime: checked(z.string()),
  valuePeriod: any,
  dataAbsentReason: any,
};
export const VALUE_KEYS = [
  "valueQuantity",
  "valueCodeableConcept",
  "valueString",
  "valueBoolean",
  "valueInteger",
  "valueRange",
  "valueRatio",
  "valueSampledData",
  "valueTime",
  "valueDateTime",
  "valuePeriod",
] as const;
export type ValueKey = (typeof VALUE_KEYS)[number];

const component = z.object({ code: object(codeableConcept), ...valueFields });

export const observationSchema = z.object({
  resourceType: text,
  status: text,
  code: object(codeableConcept),
  subject: object(z.object({ reference: text }) satisfies z.ZodType<Read<Reference>>),
  effectiveDateTime: text,
  effectiveInstant: text,
  effectivePeriod: object(z.object({ start: text, end: text }) satisfies z.ZodType<Read<Period>>),
  issued: text,
  ...valueFields,
  /** Components that are not objects are Invalid (an error each). */
  component: any.transform((v): (z.output<typeof component> | Invalid)[] =>
    Array.isArray(v) ? v.map((c: unknown) => (isObject(c) ? component.parse(c) : { invalid: c })) : [],
  ),
});
type ObservationRead = Omit<Read<Observation>, ValueKey | "component" | "dataAbsentReason"> &
  Partial<Record<ValueKey | "dataAbsentReason", unknown>> & { component: unknown[] };
observationSchema satisfies z.ZodType<ObservationRead>;

export type FhirPatient = z.output<typeof patientSchema>;
export type FhirObservation = z.output<typeof observationSchema>;
export type FhirComponent = z.output<typeof component>;
export type FhirCodeableConcept = z.output<typeof codeableConcept>;

/** An entry as read: its resource, typed when it is a Patient or an Observation. */
const resource = z.unknown().transform((v) => {
  if (!isObject(v)) return { kind: "none" as const };
  const type = trimmed(v.resourceType);
  if (type === undefined) return { kind: "untyped" as const };
  if (type === "Patient") return { kind: "patient" as const, patient: patientSchema.parse(v) };
  if (type === "Observation") return { kind: "observation" as const, observation: observationSchema.parse(v) };
  return { kind: "other" as const, type };
});

const entry = z.unknown().transform((v) => (isObject(v) ? { fullUrl: trimmed(v.fullUrl), resource: resource.parse(v.resource) } : { invalid: v }));

/** The Bundle: `resourceType` as found (the importer names other resources), its entries read. */
export const bundleSchema = z.object({
  resourceType: any,
  entry: any.transform((v) => (Array.isArray(v) ? v.map((e) => entry.parse(e)) : [])),
});

export type FhirBundle = z.output<typeof bundleSchema>;
export type FhirEntry = FhirBundle["entry"][number];
