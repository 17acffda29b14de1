import "server-only";
import { requireApproved, type SessionUser } from "@/lib/auth/session";
import { AppError } from "@/lib/errors";
import { noteDatabaseReachable } from "@/lib/db/outage";
import { errorResponse } from "./error-response";
import type { Role } from "@/lib/generated/prisma/enums";
import { crossSiteRefusal } from "./origin";

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

export { errorResponse };
