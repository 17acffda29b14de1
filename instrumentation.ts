/**
 * Next.js start-up hook: refuses to serve as a PostgreSQL superuser (lib/db/superuser-check.ts),
 * then starts the clustering job worker inside the Node.js server (lib/clustering/worker.ts). Neither
 * runs during `next build` or without DATABASE_URL (startWorker checks both again, and
 * MEDSHARE_WORKER=off), the witness of the other party's log (MEDSHARE_WITNESS_INTERVAL_S), and, in the
 * portal, the move of attribute secrets from before the AA services to their AA.
 */
export async function register() {
  if (process.env.NEXT_RUNTIME === "nodejs") {
    if (process.env.NEXT_PHASE === "phase-production-build" || !process.env.DATABASE_URL) return;
    const { assertNotSuperuser, SuperuserConnectionError } = await import("./lib/db/superuser-check");
    try {
      await assertNotSuperuser(process.env.DATABASE_URL);
    } catch (error) {
      if (error instanceof SuperuserConnectionError) {
        console.error(`[medshare] refusing to start: ${error.message}`);
        process.exit(1);
      }
      // A database that is down is reported by the requests that need it, not fatal here.
      console.error("[medshare] could not check the database role at start-up (database unreachable?)");
    }
    const { startWorker } = await import("./lib/clustering/worker");
    await startWorker();
    // Each party witnesses the other's transparency log (lib/ledger/witness.ts).
    const { startWitness } = await import("./lib/ledger/witness-loop");
    startWitness();
    // Attribute secrets from before the AA services move to their AA (lib/authority/legacy-secrets.ts).
    const { serviceRole } = await import("./lib/parties/role");
    if (serviceRole() === "authority") {
      const { startLegacySecretMove } = await import("./lib/authority/legacy-secrets");
      startLegacySecretMove();
    }
  }
}
