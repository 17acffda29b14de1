// Pure helpers of `npm run load`: one summary row per case and the table it prints.
// Kept apart from the script so they can be unit-tested without a server.

/** The parts of an autocannon result the benchmark reports. */
export type CannonResult = {
  requests: { average: number };
  latency: { p50: number; p99: number };
  /** Includes the timeouts. */
  errors: number;
  non2xx: number;
};

export type LoadRow = {
  route: string;
  connections: number;
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** Connection errors, timeouts included (autocannon counts them in `errors`): requests with no answer. */
  errors: number;
  /** Answers other than 2xx (a redirect to /login counts: the signed-in page was not served). */
  non2xx: number;
  /** The 1-minute load average when the case ended: the machine is shared, so figures need it. */
  load1: number;
};

export function summarise(route: string, connections: number, result: CannonResult, load1: number): LoadRow {
  return {
    route,
    connections,
    reqPerSec: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors,
    non2xx: result.non2xx,
    load1,
  };
}

const HEADER = ["route", "connections", "req/s", "p50 ms", "p99 ms", "errors", "non-2xx", "load avg 1 min"];

function cells(row: LoadRow): string[] {
  return [
    row.route,
    String(row.connections),
    row.reqPerSec.toFixed(1),
    String(Math.round(row.p50Ms)),
    String(Math.round(row.p99Ms)),
    String(row.errors),
    String(row.non2xx),
    row.load1.toFixed(2),
  ];
}

/** A markdown table, so the output can be pasted into docs/BENCHMARKS.md as it is. */
export function formatTable(rows: LoadRow[]): string {
  const line = (c: string[]) => `| ${c.join(" | ")} |`;
  return [line(HEADER), line(HEADER.map(() => "---")), ...rows.map((r) => line(cells(r)))].join("\n");
}

/** The first number of /proc/loadavg ("0.52 0.58 0.59 1/467 1234"); NaN where it cannot be read. */
export function parseLoadAvg(text: string): number {
  const first = text.trim().split(/\s+/)[0];
  // Number("") is 0: an unreadable file must not look like an idle machine.
  return first && Number.isFinite(Number(first)) ? Number(first) : Number.NaN;
}

/** The name=value pairs of Set-Cookie headers, joined into one Cookie header (later values win). */
export function cookieHeader(setCookies: string[], previous = ""): string {
  const jar = new Map<string, string>();
  for (const pair of previous.split(/;\s*/).filter(Boolean)) {
    const at = pair.indexOf("=");
    if (at > 0) jar.set(pair.slice(0, at), pair.slice(at + 1));
  }
  for (const header of setCookies) {
    const pair = header.split(";")[0];
    const at = pair.indexOf("=");
    if (at > 0) jar.set(pair.slice(0, at).trim(), pair.slice(at + 1).trim());
  }
  return [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
}

/** User + system CPU time in ms from a /proc/<pid>/stat line (fields 14 and 15, in clock ticks of 10 ms). */
export function cpuMsFromStat(stat: string, ticksPerSecond = 100): number {
  // The command name (field 2) may contain spaces and parentheses: count fields after the last ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1000) / ticksPerSecond;
}
