import { defineConfig } from "@playwright/test";
import base from "./playwright.config";

/**
 * Benchmarks that drive the built app in Chromium (`npm run bench:upload`): the same services
 * and embedded PostgreSQL as the journeys (base webServer), but only scripts/bench/*.bench.ts,
 * with room for a large upload and no test report files.
 */
export default defineConfig({
  ...base,
  testDir: "scripts/bench",
  testMatch: /.*\.bench\.ts$/,
  timeout: 30 * 60_000,
  reporter: [["list"]],
  use: { ...base.use, trace: "off", screenshot: "off" },
});
