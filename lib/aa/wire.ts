import { z } from "zod";

/**
 * The attribute authority's API (lib/aa/service.ts), shared by the service and its one caller,
 * the registration authority (lib/aa/client.ts). Every POST carries a party token the
 * registration authority signed for this AA service (audience `aa:<service>`), this operation
 * and this attribute; GETs are public (verification keys are meant to be published).
 */
export const AA_SERVICE_NAME = /^[A-Za-z][A-Za-z0-9_-]{1,15}$/;
const attribute = z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,15}\.[A-Za-z][A-Za-z0-9_-]{0,63}$/, "An attribute is NAMESPACE.name.");
const code = z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{1,15}$/);
const b64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/);

export const aaApi = {
  /** Takes a namespace (an authority code, e.g. HA1) on: its attributes are this service's from now on. */
  "aa.addNamespace": {
    path: "namespaces",
    input: z.strictObject({ code }),
    output: z.object({ code, added: z.boolean() }),
    resource: (i: { code: string }) => i.code,
  },
  /** Runs the setup of a new attribute (version 1) and answers its public verification key. */
  "aa.setupAttribute": {
    path: "attributes",
    input: z.strictObject({ attribute }),
    output: z.object({ attribute, version: z.number().int(), vk: b64 }),
    resource: (i: { attribute: string }) => i.attribute,
  },
  /** A new key version after a revocation: fresh (alpha_i, gamma_i); idempotent for the same `from`. */
  "aa.rotateAttribute": {
    path: "rotate",
    input: z.strictObject({ attribute, from: z.number().int().min(1) }),
    output: z.object({ attribute, version: z.number().int(), vk: b64 }),
    resource: (i: { attribute: string }) => i.attribute,
  },
  /**
   * Issues SIK_{i,GID} for one attribute version, wrapped to the browser's X25519 key. The token is
   * the registration authority's signed statement that this person (gid) is approved and holds
   * the attribute, and which wrapping key their browser registered.
   */
  "aa.issueKey": {
    path: "keys",
    input: z.strictObject({ attribute, version: z.number().int().min(1) }),
    output: z.object({ attribute, version: z.number().int(), wrapped: b64 }),
    resource: (i: { attribute: string; version: number }) => `${i.attribute}@${i.version}`,
  },
  /**
   * Takes over one key version an install made before the AA services existed (migration 0024):
   * the registration authority sends the master secret it sealed then, once, and forgets it when
   * the AA answers. The AA keeps it only if it matches the published key; the same version again
   * is a no-op, a different secret for a version it holds is refused.
   */
  "aa.importVersion": {
    path: "import",
    input: z.strictObject({ attribute, version: z.number().int().min(1), secret: b64.max(512), vk: b64.max(2048), retired: z.boolean() }),
    output: z.object({ attribute, version: z.number().int(), imported: z.boolean() }),
    resource: (i: { attribute: string; version: number }) => `${i.attribute}@${i.version}`,
  },
} as const;
export type AaOp = keyof typeof aaApi;
export type AaInput<K extends AaOp> = z.infer<(typeof aaApi)[K]["input"]>;
export type AaOutput<K extends AaOp> = z.infer<(typeof aaApi)[K]["output"]>;
export const isAaOp = (op: string): op is AaOp => Object.hasOwn(aaApi, op);
export const aaOpAt = (path: string): AaOp | undefined => (Object.keys(aaApi) as AaOp[]).find((op) => aaApi[op].path === path);

/**
 * GET /api/aa/health: the service, its version and namespaces, and the public key its log heads
 * verify under (GET /api/aa/log/sth and log/consistency serve the log; lib/aa/log.ts); no secrets.
 */
export const aaHealth = z.object({
  service: z.literal("attribute-authority"),
  name: z.string(),
  version: z.string(),
  database: z.enum(["ok", "unreachable"]),
  namespaces: z.array(z.string()),
  logPublicKey: z.string().regex(/^[0-9a-f]{64}$/),
});
export type AaHealth = z.infer<typeof aaHealth>;

/** GET /api/aa/public-keys: every verification key this AA ever published. */
export const aaPublicKeys = z.object({
  name: z.string(),
  keys: z.array(z.object({ attribute, version: z.number().int(), vk: b64, retired: z.boolean() })),
});
export type AaPublicKeys = z.infer<typeof aaPublicKeys>;
