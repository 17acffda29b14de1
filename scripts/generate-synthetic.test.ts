// Synthetic patient files look like patient records: only their owner may read them.
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { writeSyntheticFiles } from "./generate-synthetic";

const root = mkdtempSync(path.join(tmpdir(), "medshare-demo-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

it("writes the demo patients 0600 in a 0700 folder, even over older world-readable files", async () => {
  const dir = path.join(root, "demo");
  const first = await writeSyntheticFiles({ n: 20, seed: 1, outDir: dir });
  const mode = (p: string) => statSync(p).mode & 0o777;
  expect(mode(dir)).toBe(0o700);
  expect(mode(first.csv)).toBe(0o600);
  expect(mode(first.fhir)).toBe(0o600);
  const { chmodSync } = await import("node:fs");
  chmodSync(first.csv, 0o644);
  chmodSync(dir, 0o755);
  const again = await writeSyntheticFiles({ n: 20, seed: 1, outDir: dir });
  expect(mode(again.csv)).toBe(0o600);
  expect(mode(dir)).toBe(0o700);
});
