"use client";

import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { BenchRow } from "@/lib/abe/bench";
import { formatMs, type PaperPoint } from "./format";

export const SERIES = {
  measured: { name: "MedShare, this browser (enc + user dec)", color: "#0f766e" },
  paper: { name: "Paper, Table 4.1", color: "#64748b" },
  reference: { name: "MedShare, reference path (enc + user dec)", color: "#d97706" },
} as const;

type Point = { attributes: number; paper: number; measured?: number; reference?: number };

/**
 * Figure 2 of the paper, live: encryption + decryption time against the number of attributes.
 * The measured series appears only once there is a measurement; until then the paper's alone.
 */
export function OverheadChart({ paper, rows, showReference }: { paper: PaperPoint[]; rows: BenchRow[]; showReference: boolean }) {
  const byN = new Map(rows.map((r) => [r.attributes, r]));
  const data: Point[] = paper.map((p) => ({
    attributes: p.attributes,
    paper: p.ms,
    measured: byN.get(p.attributes)?.enc_plus_user_dec_ms,
    reference: byN.get(p.attributes)?.reference_enc_plus_dec_ms,
  }));
  const ticks = paper.map((p) => p.attributes);

  return (
    <ResponsiveContainer width="100%" height="100%">
      <LineChart data={data} margin={{ top: 8, right: 24, bottom: 24, left: 16 }}>
        <CartesianGrid stroke="#e2e8f0" strokeDasharray="3 3" />
        <XAxis
          dataKey="attributes"
          type="number"
          domain={[Math.min(...ticks), Math.max(...ticks)]}
          ticks={ticks}
          padding={{ left: 16, right: 16 }}
          tick={{ fontSize: 12, fill: "#475569" }}
          label={{ value: "Number of attributes in the policy (N)", position: "insideBottom", offset: -14, fontSize: 12, fill: "#334155" }}
        />
        <YAxis
          tick={{ fontSize: 12, fill: "#475569" }}
          width={56}
          label={{ value: "Encryption + decryption (ms)", angle: -90, position: "insideLeft", offset: 0, dy: 90, fontSize: 12, fill: "#334155" }}
        />
        <Tooltip
          formatter={(value) => (typeof value === "number" ? `${formatMs(value)} ms` : String(value))}
          labelFormatter={(n) => `N = ${n} attributes`}
          contentStyle={{ fontSize: 12, borderRadius: 6 }}
        />
        <Legend verticalAlign="top" height={32} wrapperStyle={{ fontSize: 12 }} />
        {/* Dots are drawn in recharts' own z-index layer, outside .recharts-line: their classes name the series. */}
        <Line
          className="series-paper"
          dataKey="paper"
          name={SERIES.paper.name}
          stroke={SERIES.paper.color}
          strokeWidth={2}
          strokeDasharray="6 4"
          dot={{ className: "dot-paper", r: 4, fill: "#fff", strokeWidth: 2, strokeDasharray: "none" }}
          isAnimationActive={false}
        />
        {rows.length > 0 && (
          <Line
            className="series-measured"
            dataKey="measured"
            name={SERIES.measured.name}
            stroke={SERIES.measured.color}
            strokeWidth={2.5}
            dot={{ className: "dot-measured", r: 4, fill: SERIES.measured.color, strokeWidth: 0 }}
            isAnimationActive={false}
          />
        )}
        {rows.length > 0 && showReference && (
          <Line
            className="series-reference"
            dataKey="reference"
            name={SERIES.reference.name}
            stroke={SERIES.reference.color}
            strokeWidth={2}
            strokeDasharray="2 3"
            dot={{ className: "dot-reference", r: 3, fill: SERIES.reference.color, strokeWidth: 0 }}
            isAnimationActive={false}
          />
        )}
      </LineChart>
    </ResponsiveContainer>
  );
}
