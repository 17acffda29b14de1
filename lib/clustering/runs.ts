import "server-only";
import { openRunSecrets, runTrace } from "@/lib/authority/clustering";
import { db } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import { cspCall } from "@/lib/parties/csp-client";
import { runTitle } from "@/lib/validation/clustering";

/**
 * What the portal shows of clustering runs (the authority's process). The runs, their labels and the uploads
 * are the CSP's: they come through its API (lib/csp/api/clustering.wire.ts). The authority
 * joins what it holds itself: organisation names, and for admins a run's sealed centers and
 * their mass (lib/authority/clustering.ts). Admin views (listRuns, runDetail) include what the
 * authority knows (2-D projection of the unsealed centers); researcher views (listClusters,
 * clusterMembers) show only what the CSP may know: sizes, typicality aggregates, the uploads'
 * organisations and policies, and record references. Callers check roles (pages / actions).
 */

export function listRuns() {
  return cspCall("runs.list", {});
}

/** What a progress display polls: cheap, no unsealing. */
export async function runProgress(runId: string) {
  const run = await cspCall("runs.get", { runId });
  if (!run) throw new AppError("NOT_FOUND", "No such clustering run.");
  const { id, status, k, n, iteration, progress, cancelRequested, error, startedAt, finishedAt, cspMs, keyHolderMs } = run;
  // The convergence trace is the key holder's, kept beside the authority (never at the CSP).
  const objective = await runTrace(runId);
  return { id, status, k, n, iteration, progress, objective, cancelRequested, error, startedAt, finishedAt, cspMs, keyHolderMs };
}

/** Names of organisations (portal.organisations), by id. */
async function organisationNames(ids: string[]) {
  const orgs = await db().organisation.findMany({ where: { id: { in: [...new Set(ids)] } }, select: { id: true, name: true } });
  return new Map(orgs.map((o) => [o.id, o.name]));
}

/** The CSP's facts of some uploads with their organisations' names. */
async function withOrganisations<U extends { id: string; organisationId: string }>(uploads: U[]) {
  const orgName = await organisationNames(uploads.map((u) => u.organisationId));
  return new Map(uploads.map((u) => [u.id, { ...u, organisation: orgName.get(u.organisationId) ?? "(removed)" }]));
}

export async function runDetail(runId: string) {
  const { run, blind, sizes, typicalityHistogram, base, extensions, uploads } = await cspCall("runs.detail", { runId });
  const info = await withOrganisations(uploads);
  const secrets = run.status === "SUCCEEDED" ? await openRunSecrets(runId) : null;
  const added = new Set(run.addedUploadIds);
  const projection = secrets ? projectCenters(secrets.centers, secrets.k, secrets.p).map(([x, y], cluster) => ({ cluster, x, y, size: sizes[cluster] })) : [];
  return {
    id: run.id,
    name: run.name,
    note: run.note,
    title: runTitle(run),
    status: run.status,
    k: run.k,
    n: run.n,
    p: run.p,
    createdAt: run.createdAt,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    iteration: run.iteration,
    progress: run.progress,
    error: run.error,
    cancelRequested: run.cancelRequested,
    times: { cspMs: run.cspMs, keyHolderMs: run.keyHolderMs },
    blind,
    columns: run.columns,
    /** The run this one extends (its records' labels carried over), and the runs extending this one. */
    base,
    extensions,
    /** Records this run clustered itself (the added uploads' records). */
    addedRecords: run.n - (base?.n ?? 0),
    /** Each center's mass (sum of memberships over every record seen), rounded: admins only. */
    mass: secrets?.mass ? Array.from(secrets.mass, (m) => Math.round(m * 10) / 10) : null,
    /** "run": the uploads were mapped to one run-wide normalisation; "upload": each kept its own z-scores (older uploads). */
    units: secrets ? (secrets.reference ? ("run" as const) : ("upload" as const)) : null,
    /** Whether a later run can extend this one (its centers' mass is stored). */
    extendable: run.status === "SUCCEEDED" && Boolean(secrets?.mass),
    sizes,
    objective: await runTrace(runId),
    typicalityHistogram,
    projection,
    uploads: run.uploadIds.map((id) => {
      const u = info.get(id);
      return {
        id,
        label: u?.label ?? "(removed)",
        organisation: u?.organisation ?? "(removed)",
        policy: u?.policy ?? null,
        records: u?.recordCount ?? 0,
        added: added.has(id),
      };
    }),
    organisations: [...new Set([...info.values()].map((u) => u.organisation))].sort(),
    policies: [...new Set([...info.values()].map((u) => u.policy))].sort(),
  };
}

/**
 * 2-D PCA of k centers (k x p): coordinates on the top two principal axes of the centered
 * centers, from the k x k Gram matrix (k is small) by power iteration with deflation.
 */
export function projectCenters(centers: Float64Array, k: number, p: number): Array<[number, number]> {
  const C = new Float64Array(k * p);
  for (let l = 0; l < p; l++) {
    let mean = 0;
    for (let i = 0; i < k; i++) mean += centers[i * p + l] / k;
    for (let i = 0; i < k; i++) C[i * p + l] = centers[i * p + l] - mean;
  }
  const G = new Float64Array(k * k);
  for (let i = 0; i < k; i++)
    for (let j = 0; j < k; j++) {
      let s = 0;
      for (let l = 0; l < p; l++) s += C[i * p + l] * C[j * p + l];
      G[i * k + j] = s;
    }
  const coords: number[][] = [];
  for (let axis = 0; axis < 2; axis++) {
    let v = Float64Array.from({ length: k }, (_, i) => 1 + i / k);
    let lambda = 0;
    for (let it = 0; it < 500; it++) {
      const w = new Float64Array(k);
      for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) w[i] += G[i * k + j] * v[j];
      const norm = Math.hypot(...w);
      if (norm < 1e-12) {
        lambda = 0;
        break;
      }
      lambda = norm;
      v = w.map((x) => x / norm);
    }
    coords.push(Array.from(v, (x) => x * Math.sqrt(lambda)));
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) G[i * k + j] -= lambda * v[i] * v[j];
  }
  const round = (x: number) => Math.round(x * 1000) / 1000 || 0;
  return Array.from({ length: k }, (_, i) => [round(coords[0][i]), round(coords[1][i])] as [number, number]);
}

/**
 * Clusters of finished runs, as researchers browse them: no plaintext, no centers, no
 * per-record value. Typicality is the mean of the cluster's records' typicality to it.
 */
export async function listClusters() {
  const { runs, stats, members, uploads } = await cspCall("runs.clusters", {});
  if (runs.length === 0) return [];
  const info = await withOrganisations(uploads);
  const round = (x: number) => Math.round(x * 1e4) / 1e4;
  const order = new Map(runs.map((r, i) => [r.id, i]));
  return stats
    .sort((a, b) => order.get(a.run_id)! - order.get(b.run_id)! || a.label - b.label)
    .map((s) => {
      const run = runs[order.get(s.run_id)!];
      const uploads = members
        .filter((m) => m.run_id === s.run_id && m.label === s.label)
        .map((m) => info.get(m.upload_id))
        .filter((u) => u !== undefined);
      return {
        runId: s.run_id,
        runName: runTitle(run),
        runNote: run.note,
        baseRunId: run.baseRunId,
        cluster: s.label,
        k: run.k,
        createdAt: run.createdAt,
        finishedAt: run.finishedAt,
        size: s.size,
        /** Mean typicality of the cluster's records to it (an aggregate the run kept); null: not kept for this run. */
        typicality: { mean: s.mean === null ? null : round(s.mean) },
        organisations: [...new Set(uploads.map((u) => u.organisation))].sort(),
        policies: [...new Set(uploads.map((u) => u.policy))].sort(),
        uploadIds: [...new Set(uploads.map((u) => u.id))],
      };
    });
}

/** The records of one cluster, as references into their uploads (what an access request asks for). */
export async function clusterMembers(runId: string, cluster: number) {
  return cspCall("runs.members", { runId, cluster });
}

/** Finished runs a later run can extend (their centers' mass is stored), for the start form. */
export async function extendableRuns() {
  const runs = await cspCall("runs.finished", {});
  const withMass = new Set(
    (await db().runSecret.findMany({ where: { runId: { in: runs.map((r) => r.id) }, NOT: { sealedMass: null } }, select: { runId: true } })).map(
      (s) => s.runId,
    ),
  );
  return runs
    .filter((r) => withMass.has(r.id) && r.columns.length === r.p)
    .map((r) => {
      const when = r.finishedAt?.toISOString().replace("T", " ").slice(0, 16) ?? "";
      return {
        id: r.id,
        k: r.k,
        n: r.n,
        uploadIds: r.uploadIds,
        columns: r.columns,
        label: `${r.name ? `${r.name} · ` : ""}${when} · k = ${r.k} · ${r.n.toLocaleString("en")} records in ${r.uploadIds.length} upload${r.uploadIds.length === 1 ? "" : "s"}${r.baseRunId ? " (extended)" : ""}`,
      };
    });
}

/** Uploads with stored encrypted features, for the start form. */
export async function clusterableUploads() {
  const uploads = await cspCall("runs.clusterable", {});
  const orgName = await organisationNames(uploads.map((u) => u.organisationId));
  return uploads.map(({ organisationId, ...u }) => ({ ...u, organisation: orgName.get(organisationId) ?? "—" }));
}
