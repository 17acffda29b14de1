import type { ServiceHealth, ServiceStatus } from "@/lib/parties/health";

const statusLook: Record<ServiceStatus, { label: string; dot: string; text: string }> = {
  up: { label: "Up", dot: "bg-emerald-500", text: "text-emerald-800" },
  "database-unreachable": { label: "Database unreachable", dot: "bg-amber-500", text: "text-amber-800" },
  unreachable: { label: "Unreachable", dot: "bg-red-500", text: "text-red-800" },
};

/** "19:20:05 UTC": the server renders this, so no browser time zone is guessed. */
const clock = (iso: string) => `${iso.slice(11, 19)} UTC`;

/** Each party's status, version and when it was checked (lib/parties/health.ts). */
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
            </dl>
          </li>
        );
      })}
    </ul>
  );
}
