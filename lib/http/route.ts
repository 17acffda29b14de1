import "server-only";
import { requireApproved, type SessionUser } from "@/lib/auth/session";
import { AppError, toActionError, type AppErrorCode } from "@/lib/errors";
import type { Role } from "@/lib/generated/prisma/enums";

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
  INTERNAL: 500,
};

/**
 * Route handlers go through here: the caller must be an approved user in one of `roles`
 * (checked inside the handler, not only in proxy.ts); AppErrors become JSON with a status.
 */
export function withUser<C>(roles: readonly Role[], handler: (req: Request, user: SessionUser, ctx: C) => Promise<Response>) {
  return async (req: Request, ctx: C): Promise<Response> => {
    try {
      const user = await requireApproved(roles);
      return await handler(req, user, ctx);
    } catch (error) {
      const e = toActionError(error);
      return Response.json({ error: e }, { status: error instanceof AppError ? status[error.code] : 500 });
    }
  };
}
