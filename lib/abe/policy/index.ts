/**
 * Access policies: text and trees (syntax.ts), satisfaction and what is missing (satisfy.ts),
 * and compilation to a Lewko-Waters LSSS over Zr (lsss.ts).
 */
export * from "./syntax";
export * from "./satisfy";
export * from "./lsss";
export * from "./authorities";
