import { Alert } from "@/components/ui/alert";
import { logAlerts } from "@/lib/ledger/overview";

const title = { fork: "Log fork detected", rollback: "Log rollback detected", rejected: "Log head rejected" } as Record<string, string>;

const logLabel = (log: string) => (log === "csp" ? "CSP's" : log.startsWith("aa:") ? `attribute authority ${log.slice(3)}'s` : "authority's");

/** The /admin banner: a witness saw the other party's log forked, rolled back, or badly signed. */
export async function LogAlerts() {
  const alerts = await logAlerts().catch(() => []);
  if (alerts.length === 0) return null;
  return (
    <div className="mb-6 space-y-2" data-testid="log-alerts">
      {alerts.map((a) => (
        <Alert key={a.log} tone="error" title={`${title[a.status] ?? "Log alert"}: the ${logLabel(a.log)} log`}>
          {a.problem} Checked {a.checkedAt.replace("T", " ").slice(0, 19)} UTC. See{" "}
          <a className="underline" href="/admin/audit">
            the audit page
          </a>
          .
        </Alert>
      ))}
    </div>
  );
}
