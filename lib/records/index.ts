/** lib/records: parsing, validation, PHI detection and de-identification, encoding, synthetic data. Pure and isomorphic. */
export * from "./dataset";
export { parseCsvDataset, type CsvImportOptions } from "./csv-import";
export { tokenizeCsv, writeCsv } from "./csv";
export { parseFhirBundle, FHIR_PATIENT_COLUMNS, LOINC_SYSTEM, UCUM_SYSTEM, type FhirImportOptions, type FhirPatientColumn } from "./fhir-import";
export * from "./phi";
export * from "./encode";
export * from "./synthetic";
