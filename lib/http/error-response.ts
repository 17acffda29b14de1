import { AppError, toActionError, type AppErrorCode } from "@/lib/errors";
import { isDatabaseUnreachable, noteDatabaseUnreachable } from "@/lib/db/outage";

const status: Record<AppErrorCode, number> = {
  UNAUTHENTICATED: 401,
  NOT_APPROVED: 403,
  FORBIDDEN: 403,
  VALIDATION: 422,
  NOT_FOUND: 404,
  CONFLICT: 409,
  INVALID_STATE: 409,
  RATE_LIMITED: 429,
  LOCKED: 423,
  PAYLOAD_TOO_LARGE: 413,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};

/** The JSON error answer for any failure of a route handler. */
export function errorResponse(error: unknown): Response {
  if (isDatabaseUnreachable(error)) {
    noteDatabaseUnreachable();
    return Response.json({ error: { code: "UNAVAILABLE", message: new AppError("UNAVAILABLE").message } }, { status: 503, headers: { "Retry-After": "10" } });
  }
  return Response.json({ error: toActionError(error) }, { status: error instanceof AppError ? status[error.code] : 500 });
}
