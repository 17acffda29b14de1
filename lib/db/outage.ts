/**
 * Telling "the database is unreachable" apart from everything else, so that callers answer
 * 503 (not 403 "not signed in") and the log says so once per outage instead of a stack
 * trace per request.
 */
// Not ECONNRESET/EPIPE: a client that went away mid-request raises those too.
const UNREACHABLE_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "57P01",
  "57P02",
  "57P03", // PostgreSQL: admin shutdown, crash shutdown, cannot connect now
  "P1001",
  "P1002",
  "P1017", // Prisma: can't reach / timed out / server closed the connection
]);
const UNREACHABLE_KINDS = new Set(["DatabaseNotReachable", "ConnectionClosed", "SocketTimeout", "TooManyConnections"]);
const UNREACHABLE_TEXT =
  /ECONNREFUSED|Can't reach database|Connection terminated unexpectedly|terminating connection due to administrator command|the database system is (shutting down|starting up)/i;

export function isDatabaseUnreachable(error: unknown, depth = 0): boolean {
  if (!error || typeof error !== "object" || depth > 5) return false;
  const e = error as { code?: unknown; kind?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
  if (typeof e.code === "string" && UNREACHABLE_CODES.has(e.code)) return true;
  if (typeof e.kind === "string" && UNREACHABLE_KINDS.has(e.kind)) return true;
  if (typeof e.message === "string" && UNREACHABLE_TEXT.test(e.message)) return true;
  if (Array.isArray(e.errors) && e.errors.some((inner) => isDatabaseUnreachable(inner, depth + 1))) return true; // AggregateError
  return isDatabaseUnreachable(e.cause, depth + 1);
}

const state = globalThis as unknown as { medshareDbOutageSince?: number | null };

/** Logs the start of an outage once; later failures in the same outage are silent. */
export function noteDatabaseUnreachable(): void {
  if (state.medshareDbOutageSince) return;
  state.medshareDbOutageSince = Date.now();
  console.error("[medshare] the database is unreachable; answering 503 until it is back");
}

/** Logs the end of an outage, once, when a request reached the database again. */
export function noteDatabaseReachable(): void {
  const since = state.medshareDbOutageSince;
  if (!since) return;
  state.medshareDbOutageSince = null;
  console.error(`[medshare] the database is reachable again (after ${Math.round((Date.now() - since) / 1000)} s)`);
}
