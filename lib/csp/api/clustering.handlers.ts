import "server-only";
import { cancelRun } from "@/lib/clustering/csp/cancel";
import { deleteRun, describeRun } from "@/lib/clustering/csp/manage";
import { clusterableUploads, clusterMemberRows, clusterSummaries, finishedRuns, listRunRows, runDetailAtCsp, runRow } from "@/lib/clustering/csp/runs";
import { createRun } from "@/lib/clustering/csp/start";
import type { Handlers } from "./handlers";
import type { clusteringApi } from "./clustering.wire";

/** Handlers of ./clustering.wire.ts, on the CSP's own tables only. */
export const clusteringHandlers = {
  "runs.list": () => listRunRows(),
  "runs.get": ({ runId }) => runRow(runId),
  "runs.detail": ({ runId }) => runDetailAtCsp(runId),
  "runs.finished": () => finishedRuns(),
  "runs.clusters": () => clusterSummaries(),
  "runs.members": ({ runId, cluster }) => clusterMemberRows(runId, cluster),
  "runs.clusterable": () => clusterableUploads(),
  "runs.start": (input, c) => createRun(c.sub, input),
  "runs.cancel": ({ runId }, c) => cancelRun({ actorId: c.sub, runId }),
  "runs.describe": ({ runId, name, note }, c) => describeRun({ actorId: c.sub, runId, name, note }),
  "runs.delete": ({ runId }, c) => deleteRun({ actorId: c.sub, runId }),
} satisfies Handlers<keyof typeof clusteringApi>;
