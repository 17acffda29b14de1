import { randomBytes } from "node:crypto";
import { readFileSync, rmSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { usableEmbeddedPort } from "@/lib/db/bootstrap";
import { startEmbeddedPostgres } from "@/lib/db/embedded";

/**
 * `npm start` right after a stop (CI, 2026-12-06: "using the embedded PostgreSQL already running
 * on port 55439 / could not start: the database system is shutting down"): the launcher had
 * exited, its PostgreSQL not yet, and the next launcher reused it. A PostgreSQL kept in smart
 * shutdown by a session that stays open makes that moment last as long as the test needs.
 */
describe("restarting on the data folder's embedded PostgreSQL", () => {
  const dir = path.resolve(".data", `restart-pg-${process.pid}`);
  const password = randomBytes(18).toString("base64url");
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("waits for one that is shutting down instead of reusing it, and reuses one that runs", async () => {
    rmSync(dir, { recursive: true, force: true });
    const first = await startEmbeddedPostgres({ dir, password, database: "postgres" });
    expect(await usableEmbeddedPort(dir, password)).toBe(first.port);

    // A shutting-down server resets sockets: a client's late "read ECONNRESET" must not become an
    // uncaught error (it failed this test on a clean-clone CI run, 2026-12-07); what matters is asserted.
    const quiet = (c: pg.Client) => c.on("error", () => undefined);
    const held = quiet(new pg.Client({ connectionString: first.url }));
    await held.connect();
    const postmaster = Number(readFileSync(path.join(dir, "postmaster.pid"), "utf8").split("\n")[0]);
    process.kill(postmaster, "SIGTERM"); // smart shutdown: no new sessions, waits for `held`

    // what reusing it meant: every new connection is refused while it shuts down
    const refused = await (async () => {
      for (let i = 0; i < 40; i++) {
        const c = quiet(new pg.Client({ connectionString: first.url }));
        try {
          await c.connect();
          await c.end();
        } catch (error) {
          return (error as { code?: string }).code;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      return "accepted";
    })();
    expect(refused).toBe("57P03");

    const started = Date.now();
    const waiting = usableEmbeddedPort(dir, password);
    setTimeout(() => void held.end(), 1_500);
    expect(await waiting).toBeNull(); // it exited: the launcher starts its own
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_400);

    const second = await startEmbeddedPostgres({ dir, password, database: "postgres" });
    try {
      expect(await usableEmbeddedPort(dir, password)).toBe(second.port);
    } finally {
      await second.stop();
    }
  });
});
