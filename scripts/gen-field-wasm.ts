/**
 * Writes lib/abe/wasm/field-module.generated.ts: the BLS12-381 field module produced by
 * lib/abe/wasm/field-gen.ts, as base64, with its memory layout. Run after changing the
 * generator (or asm.ts):
 *   npm run gen:wasm
 * wasm.test.ts fails while the checked-in file differs from the generator's output.
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { bls12_381 } from "@noble/curves/bls12-381.js";
import { genFieldModule } from "../lib/abe/wasm/field-gen";

const OUT = fileURLToPath(new URL("../lib/abe/wasm/field-module.generated.ts", import.meta.url));
const LINE = 100;

const { bytes, layout } = genFieldModule(bls12_381.fields.Fp.ORDER);
const b64 = Buffer.from(bytes).toString("base64");
const lines: string[] = [];
for (let i = 0; i < b64.length; i += LINE) lines.push(`  "${b64.slice(i, i + LINE)}",`);

const text = `// GENERATED FILE, DO NOT EDIT. Written by \`npm run gen:wasm\` (scripts/gen-field-wasm.ts) from
// lib/abe/wasm/field-gen.ts; wasm.test.ts checks it still matches the generator.
// The BLS12-381 field module (${bytes.length} bytes) as base64, and its memory layout.
import type { Layout } from "./layout";

export const FIELD_MODULE_LAYOUT: Layout = ${JSON.stringify(layout)};

export const FIELD_MODULE_BASE64: string = [
${lines.join("\n")}
].join("");
`;
writeFileSync(OUT, text);
console.log(`wrote ${OUT} (${bytes.length} bytes of wasm)`);
