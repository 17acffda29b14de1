"use server";

import { defineAction } from "@/lib/actions/safe-action";
import { startClusteringRun } from "@/lib/clustering/portal";
import { startRunSchema } from "@/lib/validation/clustering";

/** Queues a clustering run over uploads' encrypted features (the worker runs it in the background). */
export const startRunAction = defineAction({ roles: ["AUTHORITY_ADMIN"] }, startRunSchema, (input, { user }) => startClusteringRun(user.id, input));
