import "server-only";

/**
 * Clustering as the portal (the authority's process) uses it: the only module of lib/clustering
 * that pages (app/) and server actions (lib/actions) import (tests/boundaries.test.ts, ESLint).
 * Each step is a file of its own, on the authority's side of the parties: the views (./runs.ts),
 * starting a run (./start.ts: the authority seals the run's seed, then the CSP creates and
 * queues the run), cancelling it (./cancel.ts), renaming and deleting it (./manage.ts). The
 * CSP's side is ./csp/; the worker's (processing, heartbeat, result, recovery) never runs here.
 */
export { clusterableUploads, clusterMembers, extendableRuns, listClusters, listRuns, runDetail, runProgress } from "./runs";
export { startClusteringRun, type StartRunInput } from "./start";
export { cancelRun } from "./cancel";
export { deleteRun, describeRun } from "./manage";
