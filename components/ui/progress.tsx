/** An accessible progress bar; `value` null means "working, amount unknown". */
export function Progress({ label, value, max = 1, testId }: { label: string; value: number | null; max?: number; testId?: string }) {
  const pct = value === null ? null : Math.round((Math.min(value, max) / Math.max(max, 1)) * 100);
  return (
    <div className="space-y-1" data-testid={testId}>
      <div className="flex justify-between text-xs text-slate-600">
        <span>{label}</span>
        <span>{pct === null ? "working…" : `${pct}%`}</span>
      </div>
      <div
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={pct ?? undefined}
        className="h-2 w-full overflow-hidden rounded-full bg-slate-200"
      >
        <div
          className={`h-full bg-brand-600 transition-all ${pct === null ? "w-1/3 animate-pulse" : ""}`}
          style={pct === null ? undefined : { width: `${pct}%` }}
        />
      </div>
    </div>
  );
}
