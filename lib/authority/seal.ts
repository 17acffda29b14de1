import "server-only";
import { kek } from "@/lib/config/env";
import { sealWith, unsealWith } from "@/lib/parties/seal";

/**
 * The authority's secrets at rest (the clustering key holder's CKKS key, run secrets): sealed
 * under its key-encryption key (MEDSHARE_KEK), lib/parties/seal.ts. Attribute master secrets
 * are not among them: each attribute authority seals its own (lib/aa).
 */
export const seal = (plaintext: Uint8Array, aad: string) => sealWith(kek(), plaintext, aad);
export const unseal = (sealed: Uint8Array, aad: string) => unsealWith(kek(), sealed, aad);
