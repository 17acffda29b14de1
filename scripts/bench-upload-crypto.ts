/**
 * Browser-side upload encryption throughput, measured in real Chromium (Debian's /usr/bin/chromium).
 *   npm run bench:upload-crypto          table
 *   npm run bench:upload-crypto -- --json exactly one JSON object on stdout
 *   options: --rows N (default 10000), --runs N (measured runs, default 3)
 *
 * Node does what happens before an upload: a synthetic CSV (generatePatients({ n, seed: 1 }) +
 * toCsv), attribute authorities for the policy and the signer (setupAttribute) and the
 * hospital's signing key (keygen). Those travel into the page as encoded bytes (base64 of
 * encodeAttributeVk / encodeUserKeys). scripts/bench-upload-entry.ts, bundled with esbuild
 * into an IIFE and loaded into about:blank, runs the wizard + worker pipeline (parse, encode,
 * encrypt, sign, pack) with performance.now() per phase. One warm-up run, then --runs measured
 * runs in the same page; medians are reported (each column its own median). Node then checks
 * the last run's output: envelope integrity, the ABS signature, and that record 0 decrypts.
 */
import { chromium, type Browser } from "@playwright/test";
import { build } from "esbuild";
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  absVerify,
  assertIntegrity,
  decodeEnvelope,
  decrypt,
  encodeAttributeVk,
  encodeUserKeys,
  envelopeDigest,
  keygen,
  openRecord,
  setupAttribute,
  setupGlobal,
  type AttributeAuthorityKeys,
} from "../lib/abe";
import { generatePatients, toCsv } from "../lib/records/synthetic";
import { unpackChunk, uploadSignatureMessage } from "../lib/uploads/protocol";
import { BENCH_STATEMENT, type UploadBenchInput, type UploadBenchPhases, type UploadBenchResult } from "./bench-upload-entry";
import { CHROMIUM_ARGS } from "../e2e/fixtures/chromium";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const CHROMIUM = "/usr/bin/chromium";
const POLICY = "HA1.researcher AND (HA1.cardiology OR HA1.oncology)";
const SIGNER = "HA1.hospital";
const GID = "bench-uploader@ha1";
const ORGANISATION = "org-bench-ha1";
const MB = 1e6;

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function positiveInt(name: string, fallback: number): number {
  const raw = arg(name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${name} needs a positive integer, got ${JSON.stringify(raw)}`);
  return n;
}

function cpuModel(): string {
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"));
    if (m) return m[1].trim();
  } catch {
    // not Linux
  }
  return os.cpus()[0]?.model ?? "unknown";
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function bundle(): Promise<string> {
  const result = await build({
    entryPoints: [path.join(root, "scripts/bench-upload-entry.ts")],
    alias: { "@": root },
    bundle: true,
    format: "iife",
    platform: "browser",
    target: "es2022",
    write: false,
    logLevel: "silent",
  });
  return result.outputFiles[0].text;
}

const b64 = (b: Uint8Array): string => Buffer.from(b).toString("base64");
const unb64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "base64"));
const round = (x: number, d = 1): number => Math.round(x * 10 ** d) / 10 ** d;

type Log = (line: string) => void;

/** The last run's outputs must be a valid upload: what the CSP and a reader would check. */
function check(result: UploadBenchResult, auth: Map<string, AttributeAuthorityKeys>): void {
  const a = result.artifacts!;
  const pp = setupGlobal();
  const envelope = decodeEnvelope(unb64(a.envelope));
  assertIntegrity(pp, envelope);
  if (envelope.recordCount !== result.rows) throw new Error(`envelope commits to ${envelope.recordCount} records, expected ${result.rows}`);
  const signed = absVerify({
    message: uploadSignatureMessage(envelopeDigest(envelope), {
      ...BENCH_STATEMENT,
      organisationId: ORGANISATION,
      signerGid: GID,
      recordCount: result.rows,
      chunkCount: result.chunks,
      totalBytes: result.chunkBytes,
    }),
    policy: SIGNER,
    gid: GID,
    signature: unb64(a.signature),
    vks: [auth.get(SIGNER)!.vk],
  });
  if (!signed.ok) throw new Error(`the ABS signature does not verify (${signed.reason})`);
  const reader = "bench-reader";
  const keys = new Map(["HA1.researcher", "HA1.cardiology"].map((n) => [n, keygen(auth.get(n)!.secret, reader)]));
  const vks = ["HA1.researcher", "HA1.cardiology", "HA1.oncology"].map((n) => auth.get(n)!.vk);
  const { batchKey } = decrypt(pp, vks, envelope, { gid: reader, keys });
  const first = unpackChunk(unb64(a.firstChunk))[0];
  if (b64(openRecord(batchKey, first)) !== a.firstRecord) throw new Error("record 0 does not decrypt to the encoded row");
}

async function main() {
  const json = process.argv.includes("--json");
  const rows = positiveInt("--rows", 10_000);
  const runs = positiveInt("--runs", 3);
  const log: Log = json ? () => {} : (line) => process.stderr.write(`  ${line}\n`);
  const load = [os.loadavg()[0]];

  log(`generating ${rows.toLocaleString("en-US")} synthetic patients (seed 1) and keys in Node`);
  const csv = toCsv(generatePatients({ n: rows, seed: 1 }));
  const csvBytes = Buffer.byteLength(csv, "utf8");
  const auth = new Map<string, AttributeAuthorityKeys>(["HA1.researcher", "HA1.cardiology", "HA1.oncology", SIGNER].map((n) => [n, setupAttribute(n)]));
  const signKey = keygen(auth.get(SIGNER)!.secret, GID);
  const input: UploadBenchInput = {
    csv,
    policy: POLICY,
    policyVks: Object.fromEntries(["HA1.researcher", "HA1.cardiology", "HA1.oncology"].map((n) => [n, b64(encodeAttributeVk(auth.get(n)!.vk))])),
    signer: {
      gid: GID,
      organisationId: ORGANISATION,
      attribute: SIGNER,
      key: b64(encodeUserKeys({ gid: GID, keys: new Map([[SIGNER, signKey]]) })),
      vk: b64(encodeAttributeVk(auth.get(SIGNER)!.vk)),
    },
  };

  log("bundling scripts/bench-upload-entry.ts with esbuild");
  const code = await bundle();

  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [...CHROMIUM_ARGS],
    });
    const chromiumVersion = browser.version();
    const page = await browser.newPage();
    await page.goto("about:blank");
    await page.addScriptTag({ content: code });
    // The input is handed over once; each run reads it from the page, so transfer is never timed.
    await page.evaluate((i) => {
      (globalThis as unknown as { __benchInput: UploadBenchInput }).__benchInput = i;
    }, input);
    const once = (artifacts: boolean) =>
      page.evaluate((withArtifacts) => {
        const g = globalThis as unknown as { __benchInput: UploadBenchInput; medshareUploadBench: (i: UploadBenchInput) => UploadBenchResult };
        return g.medshareUploadBench({ ...g.__benchInput, returnArtifacts: withArtifacts });
      }, artifacts);

    log(`Chromium ${chromiumVersion}: warm-up run (builds the precomputation tables, JIT)`);
    const warm = await once(false);
    log(`  warm-up ${round(warm.ms.total)} ms (backend ${warm.backend})`);
    const measured: UploadBenchResult[] = [];
    for (let i = 0; i < runs; i++) {
      const r = await once(i === runs - 1);
      log(`run ${i + 1}/${runs}: ${round(r.ms.total)} ms`);
      measured.push(r);
    }
    load.push(os.loadavg()[0]);
    const last = measured[measured.length - 1];
    check(last, auth);
    log("checked in Node: envelope integrity, ABS signature, record 0 decrypts");

    const phases = ["parse", "encode", "keys", "encrypt", "sign", "pack"] as const satisfies readonly (keyof UploadBenchPhases)[];
    const med = Object.fromEntries(
      [...phases, "total"].map((p) => [p, round(median(measured.map((r) => r.ms[p as keyof UploadBenchResult["ms"]])))]),
    ) as UploadBenchPhases & { total: number };
    const envelopeMs = median(measured.map((r) => r.envelopeOnlyMs));
    const totalS = median(measured.map((r) => r.ms.total)) / 1000;
    const out = {
      machine: {
        cpu: cpuModel(),
        cores: os.cpus().length,
        chromium: chromiumVersion,
        node: process.version,
        platform: `${os.platform()} ${os.release()} ${os.arch()}`,
        load_average_1m: { start: round(load[0], 2), end: round(load[1], 2) },
      },
      config: {
        rows,
        seed: 1,
        policy: POLICY,
        signer_policy: SIGNER,
        runs,
        warmup_runs: 1,
        backend: last.backend,
        native_random_uuid: last.nativeRandomUUID,
        mb: "10^6 bytes",
      },
      result: {
        rows: last.rows,
        columns: last.columns,
        input_mb: round(csvBytes / MB, 3),
        plaintext_records_mb: round(last.plaintextBytes / MB, 3),
        ciphertext_mb: round(last.chunkBytes / MB, 3),
        chunks: last.chunks,
        envelope_bytes: last.envelopeBytes,
        signature_bytes: last.signatureBytes,
        ms: med,
        encrypt_split_ms: { envelope: round(envelopeMs), records: round(med.encrypt - envelopeMs) },
        records_per_s: Math.round(last.rows / totalS),
        mb_per_s: round(csvBytes / MB / totalS, 2),
      },
      first_run_ms: Object.fromEntries(Object.entries(warm.ms).map(([k, v]) => [k, round(v)])),
      runs_ms: measured.map((r) => Object.fromEntries(Object.entries(r.ms).map(([k, v]) => [k, round(v)]))),
    };
    if (json) {
      process.stdout.write(JSON.stringify(out) + "\n");
      return;
    }
    const m = out.machine;
    const r = out.result;
    console.log(`Upload encryption in the browser: ${m.cpu} (${m.cores} cores), Chromium ${m.chromium}, Node ${m.node}, backend ${last.backend}`);
    console.log(
      `policy "${POLICY}", signed as ${SIGNER}; medians of ${runs} runs after 1 warm-up; load average ${m.load_average_1m.start} -> ${m.load_average_1m.end}; MB = 10^6 bytes\n`,
    );
    const head = ["rows", "input MB", "ciphertext MB", "parse", "encode", "keys", "encrypt", "sign", "pack", "total ms", "records/s", "MB/s"];
    const cells = [
      r.rows,
      r.input_mb,
      r.ciphertext_mb,
      med.parse,
      med.encode,
      med.keys,
      med.encrypt,
      med.sign,
      med.pack,
      med.total,
      r.records_per_s,
      r.mb_per_s,
    ].map(String);
    const widths = head.map((h, i) => Math.max(h.length, cells[i].length));
    console.log(head.map((h, i) => h.padStart(widths[i])).join("  "));
    console.log(cells.map((c, i) => c.padStart(widths[i])).join("  "));
    console.log(
      `\nper-phase columns in ms. ${r.columns} columns, records ${r.plaintext_records_mb} MB as JSON -> ${r.chunks} chunks, envelope ${r.envelope_bytes} B, signature ${r.signature_bytes} B.`,
    );
    console.log(
      `encrypt = envelope ~${r.encrypt_split_ms.envelope} ms (encryptBatch over 1 record, timed separately) + records ~${r.encrypt_split_ms.records} ms (${round((r.encrypt_split_ms.records * 1000) / r.rows)} us/record).`,
    );
    console.log(`first (warm-up) run: ${phases.map((p) => `${p} ${out.first_run_ms[p]}`).join(", ")}, total ${out.first_run_ms.total} ms`);
  } finally {
    await browser?.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
