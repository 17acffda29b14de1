import "server-only";
import type { Handlers } from "./handlers";
import type { requestsApi } from "./requests.wire";

/** Handlers of ./requests.wire.ts, on the CSP's own tables only. */
export const requestHandlers = {} satisfies Handlers<keyof typeof requestsApi>;
