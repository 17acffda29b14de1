"use server";

import { defineAction } from "@/lib/actions/safe-action";
import { describeRun } from "@/lib/clustering/portal";
import { describeRunSchema } from "@/lib/validation/clustering";

/** Renames a clustering run and sets its note (stored and audited at the CSP). */
export const describeRunAction = defineAction({ roles: ["AUTHORITY_ADMIN"] }, describeRunSchema, ({ runId, name, note }, { user }) =>
  describeRun({ adminId: user.id, runId, name, note }),
);
