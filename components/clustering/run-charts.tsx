"use client";

import {
  Bar,
  BarChart,
  CartesianGrid,
  Cell,
  Legend,
  Line,
  LineChart,
  ResponsiveContainer,
  Scatter,
  ScatterChart,
  Tooltip,
  XAxis,
  YAxis,
  ZAxis,
} from "recharts";
import { chartColor } from "@/components/charts/palette";
import { Card } from "@/components/ui/page-header";
import { niceAxis } from "@/lib/charts/nice-axis";

/** Axis domain with a margin, so the largest markers are not cut off at the plot's edge. */
const padded: [(min: number) => number, (max: number) => number] = [
  (min) => Math.floor(Math.min(min, 0) * 1.25 - 0.5),
  (max) => Math.ceil(Math.max(max, 0) * 1.25 + 0.5),
];

/** Tick labels with as many decimals as the axis's step has, so neighbouring ticks never read the same. */
const tickLabel = (step: number) => {
  const decimals = Math.max(
    0,
    Math.ceil(-Math.log10(step) - 1e-9) + (Math.round(step / 10 ** Math.floor(Math.log10(step))) === step / 10 ** Math.floor(Math.log10(step)) ? 0 : 1),
  );
  return (v: number) => v.toLocaleString("en", { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
};

export type RunChartsData = {
  sizes: number[];
  /** The PFCM objective at each iteration of the possibilistic phase (lib/clustering/process.ts). */
  objective: number[];
  /** Every iteration of the run: the FCM initialisation's, then the traced ones. */
  iterations: number;
  /** An extension starts from its base run's centers, not from k-means++ draws. */
  extension: boolean;
  /** A run of the blind protocol: labels only (no trace, typicality or centers exist outside its key holder's session). */
  blind?: boolean;
  typicalityHistogram: Array<{ cluster: number; bins: Array<{ from: number; to: number; count: number }> }>;
  projection: Array<{ cluster: number; x: number; y: number; size: number }>;
};

export function RunCharts({ data }: { data: RunChartsData }) {
  const sizes = data.sizes.map((records, cluster) => ({ cluster: `cluster ${cluster}`, records }));
  const initIterations = Math.max(0, data.iterations - data.objective.length);
  const convergence = data.objective.map((objective, i) => ({ iteration: initIterations + i + 1, objective }));
  const yAxis = niceAxis(data.objective);
  const bins = data.typicalityHistogram[0]?.bins ?? [];
  const hist = bins.map((b, i) => {
    const row: Record<string, number | string> = { typicality: `${b.from.toFixed(1)}–${b.to.toFixed(1)}` };
    for (const c of data.typicalityHistogram) row[`cluster ${c.cluster}`] = c.bins[i].count;
    return row;
  });
  return (
    <div className="grid grid-cols-1 gap-6 lg:grid-cols-2">
      <Card>
        <h3 className="mb-2 font-semibold">Cluster sizes</h3>
        <div className="h-64" data-testid="chart-cluster-sizes">
          <ResponsiveContainer width="100%" height="100%">
            <BarChart data={sizes}>
              <CartesianGrid strokeDasharray="3 3" />
              <XAxis dataKey="cluster" interval={0} />
              <YAxis allowDecimals={false} />
              <Tooltip />
              <Bar dataKey="records" isAnimationActive={false}>
                {sizes.map((_, i) => (
                  <Cell key={i} fill={chartColor(i)} />
                ))}
              </Bar>
            </BarChart>
          </ResponsiveContainer>
        </div>
      </Card>
      {data.blind ? (
        <Card>
          <h3 className="mb-2 font-semibold">A blind run keeps labels only</h3>
          <p className="text-sm text-slate-600" data-testid="blind-note">
            This run used the blind protocol: the cloud computed every record&apos;s distances, typicalities and memberships under encryption, and the key
            holder decrypted only per-cluster totals. Neither party kept a convergence trace, the centers or a typicality, so there are no such charts: only
            each record&apos;s cluster and the {data.iterations} steps it took.
          </p>
        </Card>
      ) : (
        <RunDetailCharts data={data} convergence={convergence} yAxis={yAxis} hist={hist} initIterations={initIterations} />
      )}
    </div>
  );
}

function RunDetailCharts({
  data,
  convergence,
  yAxis,
  hist,
  initIterations,
}: {
  data: RunChartsData;
  convergence: Array<{ iteration: number; objective: number }>;
  yAxis: ReturnType<typeof niceAxis>;
  hist: Array<Record<string, number | string>>;
  initIterations: number;
}) {
  return (
    <>
      <Card>
        <h3 className="mb-2 font-semibold">Convergence (objective per iteration)</h3>
        <p className="mb-2 text-xs text-slate-600" data-testid="convergence-note">
          The objective the possibilistic phase minimises, per iteration, after {initIterations} iteration{initIterations === 1 ? "" : "s"} of fuzzy c-means
          initialisation {data.extension ? "from the base run's centers" : "from several k-means++ draws, the one with the lowest objective kept"}.
        </p>
        <div className="h-64" data-testid="chart-convergence">
          <ResponsiveContainer width="100%" height="100%">
            <LineChart data={convergence}>
              <CartesianGrid strokeDasharray="3 3" />
              <XAxis dataKey="iteration" />
              <YAxis
                type="number"
                domain={yAxis.domain}
                ticks={yAxis.ticks}
                interval={0}
                tickFormatter={tickLabel(yAxis.step)}
                tick={{ fontSize: 10 }}
                width={64}
              />
              <Tooltip />
              <Line dataKey="objective" stroke={chartColor(0)} dot={false} isAnimationActive={false} />
            </LineChart>
          </ResponsiveContainer>
        </div>
      </Card>
      <Card>
        <h3 className="mb-2 font-semibold">Typicality to own cluster</h3>
        <p className="mb-2 text-xs text-slate-600">
          Records per typicality range, counted when the run finished. Only these counts are kept, never a record&apos;s own typicality.
        </p>
        <div className="h-64" data-testid="chart-typicality">
          <ResponsiveContainer width="100%" height="100%">
            <BarChart data={hist}>
              <CartesianGrid strokeDasharray="3 3" />
              <XAxis dataKey="typicality" tick={{ fontSize: 10 }} />
              <YAxis allowDecimals={false} />
              <Tooltip />
              <Legend />
              {data.typicalityHistogram.map((c) => (
                <Bar key={c.cluster} dataKey={`cluster ${c.cluster}`} stackId="t" fill={chartColor(c.cluster)} isAnimationActive={false} />
              ))}
            </BarChart>
          </ResponsiveContainer>
        </div>
      </Card>
      <Card>
        <h3 className="mb-2 font-semibold">Centers, 2-D projection</h3>
        <div className="h-64" data-testid="chart-centers">
          <ResponsiveContainer width="100%" height="100%">
            <ScatterChart>
              <CartesianGrid strokeDasharray="3 3" />
              <XAxis type="number" dataKey="x" name="PC1" tick={{ fontSize: 10 }} domain={padded} />
              <YAxis type="number" dataKey="y" name="PC2" tick={{ fontSize: 10 }} domain={padded} />
              <ZAxis type="number" dataKey="size" range={[60, 400]} name="records" />
              <Tooltip />
              <Legend />
              {data.projection.map((p) => (
                <Scatter key={p.cluster} name={`cluster ${p.cluster}`} data={[p]} fill={chartColor(p.cluster)} isAnimationActive={false} />
              ))}
            </ScatterChart>
          </ResponsiveContainer>
        </div>
      </Card>
    </>
  );
}
