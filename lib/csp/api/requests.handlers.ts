import "server-only";
import {
  askRenewal,
  createRequest,
  listDatasets,
  listRequests,
  myRequests,
  ownRequest,
  partialDecryptRequest,
  renewGrant,
  requestForToken,
  requestsForOrganisation,
  verifiedRequestData,
  withdrawGrant,
} from "@/lib/csp/requests";
import { decideRequest } from "@/lib/csp/decisions";
import type { Handlers } from "./handlers";
import type { requestsApi } from "./requests.wire";

/**
 * What the authority needs of a request to check its signature: the signed facts, not the
 * token's hash; and the owners' decision so far, which says whether the partial decryption may
 * follow at once (one call instead of two; the CSP checks the decision again when it decrypts).
 */
async function signedFacts(requestId: string, userId: string, token: string) {
  const r = await requestForToken({ requestId, userId, token });
  const { decision } = await ownRequest({ requestId, userId });
  return {
    id: r.id,
    requesterId: r.requesterId,
    targetType: r.targetType,
    targetId: r.targetId,
    nonce: r.nonce,
    createdAt: r.createdAt,
    absPolicy: r.absPolicy,
    status: r.status,
    decision,
  };
}

/** Handlers of ./requests.wire.ts, on the CSP's own tables only; the requester is always the token's `sub`. */
export const requestHandlers = {
  "datasets.list": () => listDatasets(),
  "requests.create": (input, c) => createRequest({ ...input, requesterId: c.sub, organisationId: c.org }),
  "requests.forToken": ({ requestId, token }, c) => signedFacts(requestId, c.sub, token),
  "requests.partialDecrypt": ({ requestId, layers }, c) => partialDecryptRequest({ requestId, requesterId: c.sub, layers }),
  "requests.data": ({ requestId, token, since }, c) => verifiedRequestData({ requestId, userId: c.sub, token, since }),
  "requests.get": ({ requestId }, c) => ownRequest({ requestId, userId: c.sub }),
  "requests.list": () => listRequests(),
  "requests.forOrganisation": (_input, c) => requestsForOrganisation(c.org),
  "requests.withdraw": ({ requestId, reason }, c) => withdrawGrant({ requestId, organisationId: c.org, by: c.sub, reason }),
  "requests.renew": ({ requestId }, c) => renewGrant({ requestId, organisationId: c.org, by: c.sub }),
  "requests.decide": (input, c) => decideRequest(c.org, c.sub, input),
  "requests.askRenewal": ({ requestId }, c) => askRenewal({ requestId, requesterId: c.sub }),
  "requests.mine": (_input, c) => myRequests(c.sub),
} satisfies Handlers<keyof typeof requestsApi>;
