import type { BenchRow } from "@/lib/abe/bench";
import { formatMs, type PaperPoint } from "./format";

type Column = { key: keyof BenchRow; label: string; title: string; strong?: boolean };

const MEASURED: Column[] = [
  { key: "encrypt_ms", label: "Encryption", title: "Uploader: envelope for an AND policy over N attributes" },
  { key: "full_decrypt_ms", label: "Full decryption", title: "With the user's own keys, no outsourcing (includes the Fujisaki-Okamoto re-check)" },
  { key: "partial_decrypt_ms", label: "CSP partial decryption", title: "Cloud: the pairings, computed with the transform key" },
  { key: "user_decrypt_ms", label: "User final step", title: "Browser: K = A / B^z and the envelope checks" },
  { key: "enc_plus_user_dec_ms", label: "Enc + user dec", title: "Encryption + user final step: the series drawn against the paper", strong: true },
];
const AFTER: Column[] = [
  {
    key: "reference_enc_plus_dec_ms",
    label: "Reference enc + dec",
    title: "The same on the reference path: plain arithmetic, no wasm and no precomputed tables",
  },
];
const ABS: Column[] = [
  { key: "abs_sign_ms", label: "ABS sign", title: "Attribute-based signature over a request, N attributes" },
  { key: "abs_verify_ms", label: "ABS verify", title: "Verifying that signature" },
];

function Cell({ row, column, testId }: { row: BenchRow | undefined; column: Column; testId: string }) {
  const v = row?.[column.key];
  return (
    <td
      className={`py-2 pr-4 text-right font-mono tabular-nums ${column.strong ? "font-semibold text-brand-700" : ""}`}
      data-testid={testId}
      data-value={typeof v === "number" ? v : undefined}
    >
      {row === undefined ? <span className="text-slate-500">…</span> : typeof v === "number" ? formatMs(v) : "—"}
    </td>
  );
}

function Th({ c }: { c: Column }) {
  return (
    <th scope="col" className="py-2 pr-4 text-right font-medium" title={c.title}>
      {c.label}
    </th>
  );
}

/** Every measured time per attribute count; the paper column is there from the start. */
export function ResultsTable({ paper, rows, running }: { paper: PaperPoint[]; rows: BenchRow[]; running: boolean }) {
  const byN = new Map(rows.map((r) => [r.attributes, r]));
  return (
    <div role="region" aria-label="Benchmark results" tabIndex={0} className="relative overflow-x-auto rounded-lg border border-slate-200 bg-white px-4">
      <table className="w-full text-left text-sm" data-testid="bench-table">
        <caption className="sr-only">Median times in milliseconds per number of attributes{running ? " (measuring; empty cells still to come)" : ""}</caption>
        <thead className="text-xs uppercase text-slate-500">
          <tr>
            <th scope="col" className="py-2 pr-4" title="Attributes in the AND policy">
              N
            </th>
            {MEASURED.map((c) => (
              <Th key={c.key} c={c} />
            ))}
            <th scope="col" className="py-2 pr-4 text-right font-medium" title="Encryption + decryption in the paper's Table 4.1">
              Paper, Table 4.1
            </th>
            {AFTER.map((c) => (
              <Th key={c.key} c={c} />
            ))}
            <th scope="col" className="py-2 pr-4 text-right font-medium" title="Reference enc + dec divided by enc + user dec">
              Speedup
            </th>
            {ABS.map((c) => (
              <Th key={c.key} c={c} />
            ))}
          </tr>
        </thead>
        <tbody>
          {paper.map((p) => {
            const row = byN.get(p.attributes);
            return (
              <tr key={p.attributes} className="border-t border-slate-100" data-testid={`bench-row-${p.attributes}`} data-measured={row ? "true" : "false"}>
                <th scope="row" className="py-2 pr-4 font-medium">
                  {p.attributes}
                </th>
                {MEASURED.map((c) => (
                  <Cell key={c.key} row={row} column={c} testId={c.key === "enc_plus_user_dec_ms" ? "measured" : c.key} />
                ))}
                <td className="py-2 pr-4 text-right font-mono tabular-nums text-slate-600" data-testid="paper" data-value={p.ms}>
                  {p.ms.toFixed(1)}
                </td>
                {AFTER.map((c) => (
                  <Cell key={c.key} row={row} column={c} testId={c.key} />
                ))}
                <td className="py-2 pr-4 text-right font-mono tabular-nums" data-testid="speedup" data-value={row?.speedup}>
                  {row ? `${row.speedup.toFixed(1)}×` : <span className="text-slate-500">…</span>}
                </td>
                {ABS.map((c) => (
                  <Cell key={c.key} row={row} column={c} testId={c.key} />
                ))}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
