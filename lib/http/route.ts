import "server-only";
import { requireApproved, type SessionUser } from "@/lib/auth/session";
import { AppError, toActionError, type AppErrorCode } from "@/lib/errors";
import { isDatabaseUnreachable, noteDatabaseReachable, noteDatabaseUnreachable } from "@/lib/db/outage";
import type { Role } from "@/lib/generated/prisma/enums";
import { crossSiteRefusal } from "./origin";

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

/**
 * Route handlers go through here: a state-changing request must come from our own pages
 * (lib/http/origin.ts), the caller must be an approved user in one of `roles` (checked inside
 * the handler, not only in proxy.ts); AppErrors become JSON with a status, an unreachable
 * database a 503.
 */
export function withUser<C>(roles: readonly Role[], handler: (req: Request, user: SessionUser, ctx: C) => Promise<Response>) {
  return async (req: Request, ctx: C): Promise<Response> => {
    try {
      const refusal = crossSiteRefusal(req);
      if (refusal) throw new AppError("FORBIDDEN", refusal);
      const user = await requireApproved(roles);
      noteDatabaseReachable();
      return await handler(req, user, ctx);
    } catch (error) {
      return errorResponse(error);
    }
  };
}

/** The JSON error answer for any failure of a route handler. */
export function errorResponse(error: unknown): Response {
  if (isDatabaseUnreachable(error)) {
    noteDatabaseUnreachable();
    return Response.json({ error: { code: "UNAVAILABLE", message: new AppError("UNAVAILABLE").message } }, { status: 503, headers: { "Retry-After": "10" } });
  }
  return Response.json({ error: toActionError(error) }, { status: error instanceof AppError ? status[error.code] : 500 });
}
