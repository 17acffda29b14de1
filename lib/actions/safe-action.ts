import { z } from "zod";
import { requireApproved, getSessionUser, type SessionUser } from "@/lib/auth/session";
import { AppError, toActionError, type ActionResult } from "@/lib/errors";
import { isDatabaseUnreachable, noteDatabaseUnreachable } from "@/lib/db/outage";
import type { Role } from "@/lib/generated/prisma/enums";

type Access = { public: true } | { roles: readonly Role[] };

/**
 * Every server action goes through here: authentication and role check first (inside the
 * action, never only in proxy.ts), then zod validation, then the handler; any error becomes
 * an ActionResult the form can show. `public` actions still see the user if one is signed in.
 */
export function defineAction<S extends z.ZodType, R, A extends Access>(
  access: A,
  schema: S,
  handler: (input: z.infer<S>, ctx: { user: A extends { roles: readonly Role[] } ? SessionUser : SessionUser | null }) => Promise<R>,
): (input: z.input<S>) => Promise<ActionResult<R>> {
  return async (raw) => {
    try {
      const user = "roles" in access ? await requireApproved(access.roles) : await getSessionUser();
      const parsed = schema.safeParse(raw);
      if (!parsed.success) {
        const fieldErrors: Record<string, string[]> = {};
        for (const issue of parsed.error.issues) (fieldErrors[issue.path.join(".") || "_"] ??= []).push(issue.message);
        throw new AppError("VALIDATION", undefined, fieldErrors);
      }
      return { ok: true, data: await handler(parsed.data, { user } as never) };
    } catch (error) {
      if (isDatabaseUnreachable(error)) {
        noteDatabaseUnreachable(); // once per outage, not a stack trace per call
        return { ok: false, error: toActionError(new AppError("UNAVAILABLE")) };
      }
      return { ok: false, error: toActionError(error) };
    }
  };
}
