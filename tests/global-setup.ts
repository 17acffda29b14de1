import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { startEmbeddedPostgres } from "../lib/db/embedded";

declare module "vitest" {
  export interface ProvidedContext {
    /** Superuser URL of the run's PostgreSQL; each test file creates its own database on it. */
    adminDatabaseUrl: string;
  }
}

/** One real PostgreSQL per test run, in its own folder and port, removed afterwards. */
export default async function setup(project: TestProject) {
  const dir = path.resolve(".data", `it-pg-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  const pg = await startEmbeddedPostgres({ dir, password: randomBytes(18).toString("base64url"), database: "postgres" });
  project.provide("adminDatabaseUrl", pg.url);
  return async () => {
    await pg.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}
