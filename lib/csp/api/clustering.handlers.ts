import "server-only";
import type { Handlers } from "./handlers";
import type { clusteringApi } from "./clustering.wire";

/** Handlers of ./clustering.wire.ts, on the CSP's own tables only. */
export const clusteringHandlers = {} satisfies Handlers<keyof typeof clusteringApi>;
