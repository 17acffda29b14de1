import "server-only";
import { openRunSecrets } from "@/lib/authority/clustering";
import { db } from "@/lib/db/client";
import { AppError } from "@/lib/errors";

/**
 * Data access for clustering pages. Admin views (listRuns, runDetail) include what the
 * authority knows (2-D projection of the unsealed centers); researcher views (listClusters,
 * clusterMembers) show only what the CSP may know: sizes, typicality summaries, the uploads'
 * organisations and policies, and record references. Callers check roles (pages / actions).
 */

export async function listRuns() {
  const runs = await db().clusteringRun.findMany({
    orderBy: { createdAt: "desc" },
    select: {
      id: true,
      status: true,
      k: true,
      n: true,
      p: true,
      uploadIds: true,
      addedUploadIds: true,
      baseRunId: true,
      createdById: true,
      createdAt: true,
      startedAt: true,
      finishedAt: true,
      iteration: true,
      progress: true,
      cancelRequested: true,
      error: true,
      cspMs: true,
      keyHolderMs: true,
      clusterSizes: true,
    },
  });
  return runs.map((r) => ({
    ...r,
    uploadIds: r.uploadIds as string[],
    addedUploadIds: r.addedUploadIds as string[],
    clusterSizes: (r.clusterSizes as number[] | null) ?? null,
  }));
}

/** What a progress display polls: cheap, no unsealing. */
export async function runProgress(runId: string) {
  const run = await db().clusteringRun.findUnique({
    where: { id: runId },
    select: { id: true, status: true, k: true, n: true, iteration: true, progress: true, objective: true, cancelRequested: true, error: true, startedAt: true, finishedAt: true, cspMs: true, keyHolderMs: true },
  });
  if (!run) throw new AppError("NOT_FOUND", "No such clustering run.");
  return { ...run, objective: run.objective as number[] };
}

/** Organisation names and policies of some uploads. */
async function uploadsInfo(uploadIds: string[]) {
  const uploads = await db().upload.findMany({ where: { id: { in: uploadIds } }, select: { id: true, label: true, policy: true, organisationId: true, recordCount: true } });
  const orgs = await db().organisation.findMany({ where: { id: { in: [...new Set(uploads.map((u) => u.organisationId))] } }, select: { id: true, name: true } });
  const orgName = new Map(orgs.map((o) => [o.id, o.name]));
  return new Map(uploads.map((u) => [u.id, { ...u, organisation: orgName.get(u.organisationId) ?? "(removed)" }]));
}

const HISTOGRAM_BINS = 10;

export async function runDetail(runId: string) {
  const run = await db().clusteringRun.findUnique({ where: { id: runId } });
  if (!run) throw new AppError("NOT_FOUND", "No such clustering run.");
  const uploadIds = run.uploadIds as string[];
  const info = await uploadsInfo(uploadIds);
  const labels = await db().runLabel.findMany({ where: { runId }, select: { label: true, typicality: true } });
  const sizes = new Array<number>(run.k).fill(0);
  // Typicality of each record to its own cluster, binned per cluster over [0, 1].
  const histogram = Array.from({ length: run.k }, () => new Array<number>(HISTOGRAM_BINS).fill(0));
  for (const l of labels) {
    sizes[l.label]++;
    const t = l.typicality[l.label] ?? 0;
    histogram[l.label][Math.min(HISTOGRAM_BINS - 1, Math.max(0, Math.floor(t * HISTOGRAM_BINS)))]++;
  }
  const secrets = run.status === "SUCCEEDED" ? await openRunSecrets(runId) : null;
  const added = new Set(run.addedUploadIds as string[]);
  const [base, extensions] = await Promise.all([
    run.baseRunId ? db().clusteringRun.findUnique({ where: { id: run.baseRunId }, select: { id: true, n: true, createdAt: true, finishedAt: true } }) : null,
    db().clusteringRun.findMany({ where: { baseRunId: runId }, orderBy: { createdAt: "asc" }, select: { id: true, status: true, n: true, createdAt: true } }),
  ]);
  const projection = secrets ? projectCenters(secrets.centers, secrets.k, secrets.p).map(([x, y], cluster) => ({ cluster, x, y, size: sizes[cluster] })) : [];
  return {
    id: run.id,
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
    columns: run.columns as string[],
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
    objective: run.objective as number[],
    typicalityHistogram: histogram.map((counts, cluster) => ({
      cluster,
      bins: counts.map((count, b) => ({ from: b / HISTOGRAM_BINS, to: (b + 1) / HISTOGRAM_BINS, count })),
    })),
    projection,
    uploads: uploadIds.map((id) => {
      const u = info.get(id);
      return { id, label: u?.label ?? "(removed)", organisation: u?.organisation ?? "(removed)", policy: u?.policy ?? null, records: u?.recordCount ?? 0, added: added.has(id) };
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
 * Clusters of finished runs, as researchers browse them: no plaintext, no centers. Typicality
 * is each record's typicality to its own cluster (rounded at the CSP).
 */
export async function listClusters() {
  const runs = await db().clusteringRun.findMany({ where: { status: "SUCCEEDED" }, orderBy: { finishedAt: "desc" }, select: { id: true, k: true, n: true, finishedAt: true, uploadIds: true } });
  if (runs.length === 0) return [];
  const runIds = runs.map((r) => r.id);
  const stats = await db().$queryRaw<Array<{ run_id: string; label: number; size: number; mean: number; min: number; max: number }>>`
    SELECT run_id::text AS run_id, label, count(*)::int AS size,
           avg(typicality[label + 1])::float8 AS mean, min(typicality[label + 1])::float8 AS min, max(typicality[label + 1])::float8 AS max
    FROM csp.run_labels WHERE run_id::text = ANY(${runIds}) GROUP BY run_id, label ORDER BY run_id, label`;
  const members = await db().$queryRaw<Array<{ run_id: string; label: number; upload_id: string }>>`
    SELECT DISTINCT run_id::text AS run_id, label, upload_id::text AS upload_id FROM csp.run_labels WHERE run_id::text = ANY(${runIds})`;
  const info = await uploadsInfo([...new Set(runs.flatMap((r) => r.uploadIds as string[]))]);
  const round = (x: number) => Math.round(x * 1e4) / 1e4;
  const order = new Map(runIds.map((id, i) => [id, i]));
  return stats
    .sort((a, b) => order.get(a.run_id)! - order.get(b.run_id)! || a.label - b.label)
    .map((s) => {
      const run = runs[order.get(s.run_id)!];
      const uploads = members.filter((m) => m.run_id === s.run_id && m.label === s.label).map((m) => info.get(m.upload_id)).filter((u) => u !== undefined);
      return {
        runId: s.run_id,
        cluster: s.label,
        k: run.k,
        finishedAt: run.finishedAt,
        size: s.size,
        typicality: { mean: round(s.mean), min: round(s.min), max: round(s.max) },
        organisations: [...new Set(uploads.map((u) => u.organisation))].sort(),
        policies: [...new Set(uploads.map((u) => u.policy))].sort(),
        uploadIds: [...new Set(uploads.map((u) => u.id))],
      };
    });
}

/** The records of one cluster, as references into their uploads (what an access request asks for). */
export async function clusterMembers(runId: string, cluster: number) {
  const run = await db().clusteringRun.findUnique({ where: { id: runId }, select: { status: true, k: true } });
  if (!run || run.status !== "SUCCEEDED") throw new AppError("NOT_FOUND", "No such finished clustering run.");
  if (!Number.isInteger(cluster) || cluster < 0 || cluster >= run.k) throw new AppError("VALIDATION", `Cluster must be 0..${run.k - 1}.`);
  return db().runLabel.findMany({ where: { runId, label: cluster }, orderBy: [{ uploadId: "asc" }, { recordIndex: "asc" }], select: { uploadId: true, recordIndex: true } });
}

/** Finished runs a later run can extend (their centers' mass is stored), for the start form. */
export async function extendableRuns() {
  const runs = await db().clusteringRun.findMany({
    where: { status: "SUCCEEDED" },
    orderBy: { finishedAt: "desc" },
    select: { id: true, k: true, n: true, p: true, uploadIds: true, columns: true, finishedAt: true, baseRunId: true },
  });
  const withMass = new Set(
    (await db().runSecret.findMany({ where: { runId: { in: runs.map((r) => r.id) }, NOT: { sealedMass: null } }, select: { runId: true } })).map((s) => s.runId),
  );
  return runs
    .filter((r) => withMass.has(r.id) && (r.columns as string[]).length === r.p)
    .map((r) => {
      const uploadIds = r.uploadIds as string[];
      const when = r.finishedAt?.toISOString().replace("T", " ").slice(0, 16) ?? "";
      return {
        id: r.id,
        k: r.k,
        n: r.n,
        uploadIds,
        columns: r.columns as string[],
        label: `${when} · k = ${r.k} · ${r.n.toLocaleString("en")} records in ${uploadIds.length} upload${uploadIds.length === 1 ? "" : "s"}${r.baseRunId ? " (extended)" : ""}`,
      };
    });
}
