"use client";

import Link from "next/link";
import { useMemo, useState } from "react";
import { Bar, BarChart, CartesianGrid, Cell, Legend, ResponsiveContainer, Scatter, ScatterChart, Tooltip, XAxis, YAxis } from "recharts";
import { chartColor } from "@/components/charts/palette";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/page-header";
import type { Row } from "@/lib/records/dataset";
import { exportFileName, isAgeColumn, toFhirCollection, toNdjson, toSafeCsv } from "@/lib/records/export";
import { histogram, numericColumnsOf, pca2 } from "@/lib/records/projection";
import type { DecryptedUpload } from "./decrypt.worker";

const LABEL_COLUMNS = ["diagnosis", "phenotype", "label", "class", "cluster"];

function download(name: string, text: string, type: string) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.click();
  URL.revokeObjectURL(url);
}

type Tagged = Row & { __dataset: string };

/** A table cell: ages over 89 show as "90+" (Safe Harbor), as in every export. */
function cellText(column: string, value: Row[string]): string {
  if (value === null) return "—";
  if (typeof value === "number" && value > 89 && isAgeColumn(column)) return "90+";
  return String(value);
}

/** `name`: what the export files are named after (the cluster); default: the opened datasets' names. */
export function Results({ uploads, name }: { uploads: DecryptedUpload[]; name?: string }) {
  const opened = uploads.filter((u): u is Extract<DecryptedUpload, { status: "opened" }> => u.status === "opened");
  const fileBase = name ?? opened.map((u) => u.label).join(" and ");
  const rows: Tagged[] = useMemo(() => opened.flatMap((u) => u.rows.map((r) => ({ ...r, __dataset: u.label }))), [opened]);
  const columns = useMemo(() => {
    const seen = new Set<string>();
    for (const u of opened) for (const r of u.rows.slice(0, 1)) Object.keys(r).forEach((k) => seen.add(k));
    return [...seen];
  }, [opened]);
  const numeric = useMemo(() => numericColumnsOf(rows, columns), [rows, columns]);
  const [query, setQuery] = useState("");
  const [sort, setSort] = useState<{ column: string; dir: 1 | -1 } | null>(null);
  const [limit, setLimit] = useState(25);
  const [feature, setFeature] = useState<string>("");
  const shownFeature = feature || numeric[0] || "";
  const labelColumn = columns.find((c) => LABEL_COLUMNS.includes(c.toLowerCase()));
  const groupOf = (r: Tagged) => (labelColumn ? `${r.__dataset} · ${String(r[labelColumn])}` : r.__dataset);

  const filtered = useMemo(() => {
    const q = query.trim().toLowerCase();
    let out = q
      ? rows.filter((r) =>
          columns.some((c) =>
            String(r[c] ?? "")
              .toLowerCase()
              .includes(q),
          ),
        )
      : rows;
    if (sort) {
      out = [...out].sort((a, b) => {
        const x = a[sort.column];
        const y = b[sort.column];
        if (x === y) return 0;
        if (x === null) return 1;
        if (y === null) return -1;
        return (x < y ? -1 : 1) * sort.dir;
      });
    }
    return out;
  }, [rows, columns, query, sort]);

  // The cluster's typicality histogram: an aggregate the run kept (no record's own typicality is kept anywhere).
  const clusterTypicality = opened.find((u) => u.clusterTypicality)?.clusterTypicality ?? null;
  const typicalityHist = useMemo(
    () => (clusterTypicality ? clusterTypicality.map((count, b) => ({ bin: `${(b / 10).toFixed(1)}–${((b + 1) / 10).toFixed(1)}`, count })) : []),
    [clusterTypicality],
  );
  const groups = useMemo(() => [...new Set(rows.map(groupOf))], [rows]); // eslint-disable-line react-hooks/exhaustive-deps
  const sizes = groups.map((g) => ({ group: g, records: rows.filter((r) => groupOf(r) === g).length }));
  const projection = useMemo(() => {
    const pts = pca2(rows, numeric);
    return groups.map((g) => ({ group: g, points: pts.filter((_, i) => groupOf(rows[i]) === g) }));
  }, [rows, numeric, groups]); // eslint-disable-line react-hooks/exhaustive-deps
  const hist = useMemo(() => {
    if (!shownFeature) return [];
    const all = rows.map((r) => r[shownFeature]).filter((v): v is number => typeof v === "number");
    const bins = histogram(all, 12);
    return bins.map((b, i) => {
      const next = bins[i + 1]?.from ?? Infinity;
      const entry: Record<string, number | string> = { bin: b.bin };
      for (const g of groups)
        entry[g] = rows.filter(
          (r) =>
            groupOf(r) === g &&
            typeof r[shownFeature] === "number" &&
            (r[shownFeature] as number) >= b.from &&
            ((r[shownFeature] as number) < next || i === bins.length - 1),
        ).length;
      return entry;
    });
  }, [rows, shownFeature, groups]); // eslint-disable-line react-hooks/exhaustive-deps

  return (
    <div className="space-y-6">
      <div className="space-y-2" data-testid="request-outcome">
        {uploads.map((u) =>
          u.status === "opened" ? (
            <Alert key={u.uploadId} tone="success" title={`${u.label}: ${u.rows.length.toLocaleString()} records decrypted in your browser`}>
              Source verified: signed by <span className="font-mono">{u.source.gid}</span> holding {u.source.policy}.
            </Alert>
          ) : u.status === "refused" ? (
            <Alert key={u.uploadId} tone="warning" title={`${u.label}: not for you`}>
              You lack {u.missing.join(", ")} for this dataset&apos;s policy. No record of it was decrypted.
              {/* a key version your transform key lacks: your browser adds it (it alone holds z) */}
              {u.missing.some((m) => m.includes(" at key version ")) && (
                <>
                  {" "}
                  <Link className="underline" href="/keys">
                    Refresh your keys at /keys
                  </Link>
                  , then request it again.
                </>
              )}
            </Alert>
          ) : (
            <Alert key={u.uploadId} tone="error" title={`Security alert: ${u.label} failed verification`}>
              The cloud&apos;s partial decryption, the records or the uploading hospital&apos;s signature did not verify ({u.detail}). Nothing from this dataset
              is shown; the authority has been notified.
            </Alert>
          ),
        )}
      </div>
      {rows.length > 0 && (
        <>
          <div className="grid grid-cols-1 gap-6 lg:grid-cols-2">
            <Card>
              <h3 className="mb-2 font-semibold">Records per group</h3>
              <div className="h-64" data-testid="chart-sizes">
                <ResponsiveContainer width="100%" height="100%">
                  <BarChart data={sizes} margin={{ bottom: 8 }}>
                    <CartesianGrid strokeDasharray="3 3" />
                    {/* every bar labelled: slanted, so long group names fit side by side */}
                    <XAxis
                      dataKey="group"
                      interval={0}
                      tick={{ fontSize: 10 }}
                      angle={sizes.length > 1 ? -20 : 0}
                      textAnchor={sizes.length > 1 ? "end" : "middle"}
                      height={sizes.length > 1 ? 70 : 30}
                    />
                    <YAxis allowDecimals={false} />
                    <Tooltip />
                    <Bar dataKey="records" isAnimationActive={false}>
                      {sizes.map((s, i) => (
                        <Cell key={s.group} fill={chartColor(i)} />
                      ))}
                    </Bar>
                  </BarChart>
                </ResponsiveContainer>
              </div>
            </Card>
            <Card>
              <div className="mb-2 flex items-center justify-between gap-2">
                <h3 className="font-semibold">Distribution</h3>
                <label className="text-sm">
                  <span className="sr-only">Feature</span>
                  <select value={shownFeature} onChange={(e) => setFeature(e.target.value)} className="rounded border border-slate-300 px-2 py-1 text-xs">
                    {numeric.map((c) => (
                      <option key={c} value={c}>
                        {c}
                      </option>
                    ))}
                  </select>
                </label>
              </div>
              <div className="h-64" data-testid="chart-distribution">
                <ResponsiveContainer width="100%" height="100%">
                  <BarChart data={hist}>
                    <CartesianGrid strokeDasharray="3 3" />
                    <XAxis dataKey="bin" tick={{ fontSize: 10 }} />
                    <YAxis allowDecimals={false} />
                    <Tooltip />
                    <Legend />
                    {groups.map((g, i) => (
                      <Bar key={g} dataKey={g} stackId="a" fill={chartColor(i)} isAnimationActive={false} />
                    ))}
                  </BarChart>
                </ResponsiveContainer>
              </div>
            </Card>
            <Card className="lg:col-span-2">
              <h3 className="mb-2 font-semibold">2-D projection (first two principal components of {numeric.length} numeric fields)</h3>
              <div className="h-80" data-testid="chart-projection">
                <ResponsiveContainer width="100%" height="100%">
                  <ScatterChart>
                    <CartesianGrid strokeDasharray="3 3" />
                    <XAxis type="number" dataKey="x" name="PC1" tick={{ fontSize: 10 }} />
                    <YAxis type="number" dataKey="y" name="PC2" tick={{ fontSize: 10 }} />
                    <Tooltip />
                    <Legend />
                    {projection.map((g, i) => (
                      <Scatter key={g.group} name={g.group} data={g.points} fill={chartColor(i)} isAnimationActive={false} />
                    ))}
                  </ScatterChart>
                </ResponsiveContainer>
              </div>
              {typicalityHist.length === 0 && (
                <p className="mt-2 text-xs text-slate-500">Request a cluster (found by HoPCM) to see how typical each record is of it.</p>
              )}
            </Card>
          </div>

          {typicalityHist.length > 0 && (
            <Card>
              <h3 className="mb-2 font-semibold">Typicality of the cluster&apos;s records to it (HoPCM)</h3>
              <p className="mb-2 text-xs text-slate-600">
                Records of the whole cluster per typicality range, as the clustering run counted them; no record&apos;s own typicality is kept.
              </p>
              <div className="h-64" data-testid="chart-typicality">
                <ResponsiveContainer width="100%" height="100%">
                  <BarChart data={typicalityHist}>
                    <CartesianGrid strokeDasharray="3 3" />
                    <XAxis dataKey="bin" tick={{ fontSize: 10 }} />
                    <YAxis allowDecimals={false} />
                    <Tooltip />
                    <Bar dataKey="count" fill={chartColor(0)} isAnimationActive={false} />
                  </BarChart>
                </ResponsiveContainer>
              </div>
            </Card>
          )}
          <Card>
            <div className="mb-3 flex flex-wrap items-center gap-3">
              <h3 className="font-semibold">Records</h3>
              <label htmlFor="record-search" className="sr-only">
                Search records
              </label>
              <input
                id="record-search"
                value={query}
                onChange={(e) => setQuery(e.target.value)}
                placeholder="Search…"
                className="rounded border border-slate-300 px-2 py-1 text-sm"
              />
              <span className="text-xs text-slate-500" role="status">
                {filtered.length.toLocaleString()} of {rows.length.toLocaleString()}
              </span>
              <div className="flex flex-wrap gap-2 sm:ml-auto">
                <Button
                  variant="secondary"
                  onClick={() =>
                    download(
                      exportFileName(fileBase, "csv"),
                      toSafeCsv(
                        ["dataset", ...columns],
                        filtered.map((r) => ({ ...r, dataset: r.__dataset })),
                      ),
                      "text/csv",
                    )
                  }
                >
                  Export CSV
                </Button>
                <Button
                  variant="secondary"
                  onClick={() =>
                    download(
                      exportFileName(fileBase, "ndjson"),
                      toNdjson(filtered.map(({ __dataset, ...r }) => ({ dataset: __dataset, ...r }))),
                      "application/x-ndjson",
                    )
                  }
                >
                  NDJSON
                </Button>
                <Button
                  variant="secondary"
                  onClick={() =>
                    download(exportFileName(fileBase, "fhir.json"), JSON.stringify(toFhirCollection(columns, filtered), null, 1), "application/fhir+json")
                  }
                >
                  FHIR Bundle
                </Button>
              </div>
            </div>
            <div role="region" aria-label="Decrypted records" tabIndex={0} className="relative overflow-x-auto">
              <table className="min-w-full text-left text-xs" data-testid="records-table">
                <thead>
                  <tr>
                    <th className="border-b px-2 py-1">dataset</th>
                    {columns.map((c) => (
                      <th key={c} className="border-b px-2 py-1" aria-sort={sort?.column === c ? (sort.dir === 1 ? "ascending" : "descending") : undefined}>
                        <button
                          type="button"
                          className="font-medium hover:underline"
                          onClick={() => setSort({ column: c, dir: sort?.column === c && sort.dir === 1 ? -1 : 1 })}
                        >
                          {c}
                        </button>
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {filtered.slice(0, limit).map((r, i) => (
                    <tr key={i} className="border-b border-slate-100">
                      <td className="px-2 py-1 text-slate-500">{r.__dataset}</td>
                      {columns.map((c) => (
                        <td key={c} className="px-2 py-1">
                          {cellText(c, r[c] ?? null)}
                        </td>
                      ))}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            {filtered.length > limit && (
              <Button variant="secondary" className="mt-3" onClick={() => setLimit(limit + 100)}>
                Show more
              </Button>
            )}
          </Card>
        </>
      )}
    </div>
  );
}
