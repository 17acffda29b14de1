import type { WitnessState } from "@/lib/ledger/witness";
import type { ServiceHealth, ServiceStatus } from "@/lib/parties/health";

const statusLook: Record<ServiceStatus, { label: string; dot: string; text: string }> = {
  up: { label: "Up", dot: "bg-emerald-500", text: "text-emerald-800" },
  "database-unreachable": { label: "Database unreachable", dot: "bg-amber-500", text: "text-amber-800" },
  unreachable: { label: "Unreachable", dot: "bg-red-500", text: "text-red-800" },
};

/** "19:20:05 UTC": the server renders this, so no browser time zone is guessed. */
const clock = (iso: string) => `${iso.slice(11, 19)} UTC`;

const alarm = { fork: "FORK detected", rollback: "ROLLBACK detected", rejected: "Head REJECTED" } as const;

/** An attribute authority's log as the portal witnesses it (lib/aa/witness.ts): agreement, or the alert. */
function LogWitness({ state }: { state: WitnessState | null }) {
  if (!state) return <span className="text-slate-600">Not witnessed yet (the portal checks every few minutes).</span>;
  if (state.status === "ok")
    return (
      <span className="text-emerald-700">
        Witnessed: agrees at {state.size} entries, checked {clock(state.checkedAt)}
      </span>
    );
  return (
    <span className="font-semibold text-red-700">
      {alarm[state.status]}: {state.problem}
    </span>
  );
}

/** Each party's status, version and when it was checked (lib/parties/health.ts); each AA's log witness beside it. */
export async function ServicesPanel({ health }: { health: Promise<ServiceHealth[]> }) {
  const services = await health;
  const portalVersion = services.find((s) => s.party === "authority")?.version;
  return (
    <ul className="grid grid-cols-1 gap-4 sm:grid-cols-2">
      {services.map((s) => {
        const look = statusLook[s.status];
        return (
          <li key={s.party} data-testid={`service-${s.party}`} className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
            <div className="flex flex-wrap items-center justify-between gap-x-3 gap-y-1">
              <h3 className="font-medium text-slate-900">{s.name}</h3>
              <p className={`flex items-center gap-2 text-sm font-medium ${look.text}`} data-testid="service-status">
                <span aria-hidden="true" className={`inline-block h-2.5 w-2.5 shrink-0 rounded-full ${look.dot}`} />
                {look.label}
              </p>
            </div>
            <p className="mt-1 text-sm text-slate-600">{s.message}</p>
            <dl className="mt-3 grid grid-cols-[auto_minmax(0,1fr)] gap-x-4 gap-y-1 text-sm">
              <dt className="text-slate-500">Version</dt>
              <dd className="text-slate-900" data-testid="service-version">
                {s.version ?? "—"}
                {s.version && portalVersion && s.version !== portalVersion && <span className="ml-2 text-amber-800">(the portal runs {portalVersion})</span>}
              </dd>
              <dt className="text-slate-500">Checked</dt>
              <dd className="text-slate-900">
                <time dateTime={s.checkedAt}>{clock(s.checkedAt)}</time>
              </dd>
              {s.log !== undefined && (
                <>
                  <dt className="text-slate-500">Log</dt>
                  <dd data-testid="service-log" data-status={s.log?.status ?? "none"}>
                    <LogWitness state={s.log} />
                  </dd>
                </>
              )}
            </dl>
          </li>
        );
      })}
    </ul>
  );
}
