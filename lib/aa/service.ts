import pg from "pg";
import { z } from "zod";
import { decodeAttributeSecret, encodeAttributeSecret, encodeAttributeVk, encodeUserKeys, keygen, setupAttribute, vkFromSecret, wrapKey } from "@/lib/abe";
import { AppError } from "@/lib/errors";
import { errorResponse } from "@/lib/http/error-response";
import { readBodyBytes } from "@/lib/http/read-body";
import { sikWrapContext } from "@/lib/keystore/contexts";
import { sealWith, unsealWith } from "@/lib/parties/seal";
import { PartyTokenError, verifyPartyToken, type PartyTokenClaims } from "@/lib/parties/token";
import { publicKeyHex } from "@/lib/ledger/sth";
import pkg from "@/package.json" with { type: "json" };
import { aaConsistency, aaLogSize, aaSignedHead, appendAaLog, digestOf } from "./log";
import { secretAad } from "./schema";
import { aaApi, aaOpAt, type AaHealth, type AaInput, type AaOp, type AaOutput, type AaPublicKeys } from "./wire";

/**
 * An attribute authority (AA) as its own service (issue #13, DESIGN.md "Parties and trust"): the
 * only holder of its master secrets (alpha_i, gamma_i per attribute and key version), sealed in
 * its own database under its own key-encryption key. It sets attributes up and rotates them when
 * the registration authority asks, and issues SIK_{i,GID} wrapped to a person's browser key when
 * the registration authority's signed statement says the person is approved and holds the
 * attribute. Nothing it answers is secret: verification keys, and keys only that browser unwraps.
 * Served by scripts/aa.ts (its own process); the tests serve it over HTTP from their process.
 */
export type AaConfig = {
  /** The service's name, e.g. HA1: the audience `aa:<name>` of the tokens it accepts. */
  name: string;
  /** Its own database (lib/aa/schema.ts), as its service role. */
  databaseUrl: string;
  /** Its key-encryption key, 32 bytes. */
  kek: Uint8Array;
  /** The registration authority's Ed25519 public key: the only signer it accepts. */
  registrationAuthorityKey: Uint8Array;
  /** Its log-signing key (Ed25519 secret, 32 bytes): signs the heads of its own log (lib/aa/log.ts). */
  logKey: Uint8Array;
};

export type AaService = { handle(req: Request): Promise<Response>; close(): Promise<void> };

const BODY_LIMIT = 16 * 1024;
const size = z.coerce.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const logRange = z.object({ first: size, second: size });
const logHeaders = { "Cache-Control": "no-store", "Access-Control-Allow-Origin": "*" };
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");
const namespaceOf = (attribute: string) => attribute.slice(0, attribute.indexOf("."));

export function createAaService(config: AaConfig): AaService {
  if (config.kek.length !== 32) throw new Error("an attribute authority's key-encryption key must be 32 bytes");
  if (config.logKey.length !== 32) throw new Error("an attribute authority's log-signing key must be 32 bytes");
  const logPublicKey = publicKeyHex(config.logKey);
  const pool = new pg.Pool({ connectionString: config.databaseUrl, max: 4, application_name: `medshare-aa-${config.name}` });
  pool.on("error", () => {}); // an idle client's lost connection; the next query reports it
  const audience = `aa:${config.name}`;

  async function inTransaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    try {
      await client.query("BEGIN");
      const result = await work(client);
      await client.query("COMMIT");
      return result;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }

  /** A token's nonce is good once, spent in the transaction of what it allowed. */
  async function spend(client: pg.PoolClient, claims: PartyTokenClaims) {
    const fresh = await client.query(
      "INSERT INTO aa.token_nonces (nonce, expires_at) VALUES ($1, to_timestamp($2)) ON CONFLICT (nonce) DO NOTHING RETURNING nonce",
      [claims.nonce, claims.exp + 60],
    );
    if (fresh.rowCount === 0) throw new PartyTokenError("replayed", "This token was already used: a replayed call is refused.");
    if (Math.random() < 0.01) await client.query("DELETE FROM aa.token_nonces WHERE expires_at < now()");
  }

  async function requireNamespace(client: pg.PoolClient, attribute: string) {
    const ns = namespaceOf(attribute);
    const known = await client.query("SELECT 1 FROM aa.namespaces WHERE code = $1", [ns]);
    if (!known.rowCount) throw new AppError("NOT_FOUND", `The attribute authority ${config.name} does not run the namespace ${ns}.`);
  }

  async function storeVersion(client: pg.PoolClient, attribute: string, version: number) {
    const { secret, vk } = setupAttribute(attribute);
    const encoded = encodeAttributeVk(vk);
    await client.query("INSERT INTO aa.key_versions (attribute, version, vk, sealed_secret) VALUES ($1, $2, $3, $4)", [
      attribute,
      version,
      Buffer.from(encoded),
      Buffer.from(sealWith(config.kek, encodeAttributeSecret(secret), secretAad(attribute, version))),
    ]);
    return { attribute, version, vk: b64(encoded) };
  }

  /** A secret sent for import, read strictly: malformed, for another attribute or not matching its key is a 422. */
  function importedSecret(input: AaInput<"aa.importVersion">) {
    let secret: ReturnType<typeof decodeAttributeSecret>;
    try {
      secret = decodeAttributeSecret(new Uint8Array(Buffer.from(input.secret, "base64")));
    } catch {
      throw new AppError("VALIDATION", `The secret sent for ${input.attribute} v${input.version} is not an attribute secret.`);
    }
    if (secret.attribute !== input.attribute) throw new AppError("VALIDATION", `The secret sent is ${secret.attribute}'s, not ${input.attribute}'s.`);
    const vk = encodeAttributeVk(vkFromSecret(secret));
    if (Buffer.compare(Buffer.from(vk), Buffer.from(input.vk, "base64")) !== 0)
      throw new AppError("VALIDATION", `The secret sent for ${input.attribute} v${input.version} does not match its published verification key.`);
    return { secret, vk };
  }

  const handlers: { [K in AaOp]: (input: AaInput<K>, claims: PartyTokenClaims) => Promise<AaOutput<K>> } = {
    "aa.addNamespace": (input, claims) =>
      inTransaction(async (client) => {
        await spend(client, claims);
        const added = await client.query("INSERT INTO aa.namespaces (code) VALUES ($1) ON CONFLICT (code) DO NOTHING RETURNING code", [input.code]);
        await appendAaLog(client, claims, {
          action: "NAMESPACE_ADDED",
          subjectType: "namespace",
          subjectId: input.code,
          data: { added: Boolean(added.rowCount) },
        });
        return { code: input.code, added: Boolean(added.rowCount) };
      }),
    "aa.setupAttribute": (input, claims) =>
      inTransaction(async (client) => {
        await spend(client, claims);
        await requireNamespace(client, input.attribute);
        await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [input.attribute]);
        // Asked again (the registration authority's own step failed after ours): the same key.
        const existing = await client.query<{ vk: Buffer }>("SELECT vk FROM aa.key_versions WHERE attribute = $1 AND version = 1", [input.attribute]);
        const out = existing.rowCount
          ? { attribute: input.attribute, version: 1, vk: b64(existing.rows[0].vk) }
          : await storeVersion(client, input.attribute, 1);
        await appendAaLog(client, claims, {
          action: "ATTRIBUTE_SET_UP",
          subjectType: "attribute",
          subjectId: input.attribute,
          data: { version: 1, vk: digestOf(out.vk), created: !existing.rowCount },
        });
        return out;
      }),
    "aa.rotateAttribute": (input, claims) =>
      inTransaction(async (client) => {
        await spend(client, claims);
        await requireNamespace(client, input.attribute);
        await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [input.attribute]);
        const latest = await client.query<{ version: number; vk: Buffer }>(
          "SELECT version, vk FROM aa.key_versions WHERE attribute = $1 ORDER BY version DESC LIMIT 1",
          [input.attribute],
        );
        if (!latest.rowCount) throw new AppError("NOT_FOUND", `The attribute authority ${config.name} has no attribute ${input.attribute}.`);
        const current = latest.rows[0];
        const again = current.version === input.from + 1;
        if (!again && current.version !== input.from)
          throw new AppError("CONFLICT", `${input.attribute} is at key version ${current.version} at ${config.name}, not ${input.from}.`);
        if (!again) await client.query("UPDATE aa.key_versions SET retired_at = now() WHERE attribute = $1 AND retired_at IS NULL", [input.attribute]);
        const out = again
          ? { attribute: input.attribute, version: current.version, vk: b64(current.vk) }
          : await storeVersion(client, input.attribute, input.from + 1);
        await appendAaLog(client, claims, {
          action: "ATTRIBUTE_ROTATED",
          subjectType: "attribute",
          subjectId: input.attribute,
          data: { from: input.from, version: out.version, vk: digestOf(out.vk), created: !again },
        });
        return out;
      }),
    "aa.issueKey": (input, claims) =>
      inTransaction(async (client) => {
        if (!claims.gid || !claims.wrap || !claims.sub)
          throw new PartyTokenError("wrong-scope", "A key is issued only on a statement naming the person, their global id and their browser's key.");
        await spend(client, claims);
        await requireNamespace(client, input.attribute);
        const row = await client.query<{ sealed_secret: Buffer }>("SELECT sealed_secret FROM aa.key_versions WHERE attribute = $1 AND version = $2", [
          input.attribute,
          input.version,
        ]);
        if (!row.rowCount) throw new AppError("NOT_FOUND", `${config.name} has no key version ${input.version} of ${input.attribute}.`);
        const wrapPublicKey = new Uint8Array(Buffer.from(claims.wrap, "base64url"));
        if (wrapPublicKey.length !== 32) throw new AppError("VALIDATION", "The browser's wrapping key in the statement is not an X25519 public key.");
        const secret = decodeAttributeSecret(unsealWith(config.kek, row.rows[0].sealed_secret, secretAad(input.attribute, input.version)));
        const sik = keygen(secret, claims.gid);
        const plaintext = encodeUserKeys({ gid: claims.gid, keys: new Map([[input.attribute, sik]]) });
        const wrapped = wrapKey(wrapPublicKey, plaintext, sikWrapContext(claims.gid, input.attribute, input.version));
        await client.query("INSERT INTO aa.issued_keys (attribute, version, gid, wrap_key) VALUES ($1, $2, $3, $4)", [
          input.attribute,
          input.version,
          claims.gid,
          claims.wrap,
        ]);
        await appendAaLog(client, claims, {
          action: "KEY_ISSUED",
          subjectType: "attribute",
          subjectId: input.attribute,
          data: { version: input.version, gid: claims.gid, wrapKey: digestOf(b64(wrapPublicKey)) },
        });
        return { attribute: input.attribute, version: input.version, wrapped: b64(wrapped) };
      }),
    "aa.importVersion": (input, claims) =>
      inTransaction(async (client) => {
        const { secret, vk } = importedSecret(input);
        await spend(client, claims);
        await requireNamespace(client, input.attribute);
        await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [input.attribute]);
        const held = await client.query<{ vk: Buffer }>("SELECT vk FROM aa.key_versions WHERE attribute = $1 AND version = $2", [
          input.attribute,
          input.version,
        ]);
        const imported = !held.rowCount;
        if (held.rowCount && Buffer.compare(held.rows[0].vk, Buffer.from(vk)) !== 0)
          throw new AppError("CONFLICT", `${config.name} already holds another key for ${input.attribute} v${input.version}; nothing was imported.`);
        await appendAaLog(client, claims, {
          action: "VERSION_IMPORTED",
          subjectType: "attribute",
          subjectId: input.attribute,
          data: { version: input.version, vk: digestOf(b64(vk)), retired: input.retired, imported },
        });
        if (!imported) return { attribute: input.attribute, version: input.version, imported: false };
        await client.query(
          "INSERT INTO aa.key_versions (attribute, version, vk, sealed_secret, retired_at) VALUES ($1, $2, $3, $4, CASE WHEN $5 THEN now() END)",
          [
            input.attribute,
            input.version,
            Buffer.from(vk),
            Buffer.from(sealWith(config.kek, encodeAttributeSecret(secret), secretAad(input.attribute, input.version))),
            input.retired,
          ],
        );
        return { attribute: input.attribute, version: input.version, imported: true };
      }),
  };

  async function health(): Promise<AaHealth> {
    const namespaces = await pool
      .query<{ code: string }>("SELECT code FROM aa.namespaces ORDER BY code")
      .then((r) => r.rows.map((x) => x.code))
      .catch(() => null);
    return {
      service: "attribute-authority",
      name: config.name,
      version: pkg.version,
      database: namespaces ? "ok" : "unreachable",
      namespaces: namespaces ?? [],
      logPublicKey,
    };
  }

  async function publicKeys(): Promise<AaPublicKeys> {
    const rows = await pool.query<{ attribute: string; version: number; vk: Buffer; retired_at: Date | null }>(
      "SELECT attribute, version, vk, retired_at FROM aa.key_versions ORDER BY attribute, version",
    );
    return { name: config.name, keys: rows.rows.map((r) => ({ attribute: r.attribute, version: r.version, vk: b64(r.vk), retired: r.retired_at !== null })) };
  }

  /** GET log/consistency?first=&second=: as the portal's /.well-known/medshare/log/consistency (lib/ledger/public-log.ts). */
  async function consistencyOf(url: URL) {
    const parsed = logRange.safeParse(Object.fromEntries(url.searchParams));
    if (!parsed.success) throw new AppError("VALIDATION", parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
    const { first, second } = parsed.data;
    const current = await aaLogSize(pool);
    if (first > second || second > current) throw new AppError("VALIDATION", `Sizes must satisfy first <= second <= ${current} (the log's size).`);
    return { first, second, proof: await aaConsistency(pool, first, second) };
  }

  async function call(req: Request, op: AaOp): Promise<unknown> {
    const spec = aaApi[op];
    const bearer = /^Bearer (\S+)$/.exec(req.headers.get("authorization") ?? "")?.[1];
    if (!bearer) throw new PartyTokenError("malformed", "A call on an attribute authority needs the registration authority's token.");
    const claims = verifyPartyToken(bearer, config.registrationAuthorityKey, { aud: audience, op });
    let raw: unknown;
    try {
      raw = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(await readBodyBytes(req, BODY_LIMIT)));
    } catch (error) {
      if (error instanceof AppError) throw error;
      throw new AppError("VALIDATION", "The call's body is not JSON.");
    }
    const parsed = spec.input.safeParse(raw);
    if (!parsed.success) throw new AppError("VALIDATION", parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
    if (claims.res !== spec.resource(parsed.data as never))
      throw new PartyTokenError("wrong-scope", "The token is for another resource than this call touches.");
    return (handlers[op] as (input: unknown, claims: PartyTokenClaims) => Promise<unknown>)(parsed.data, claims);
  }

  return {
    async handle(req) {
      const path = new URL(req.url).pathname.replace(/^\/api\/aa\/?/, "");
      try {
        if (req.method === "GET" && path === "health") {
          const report = await health();
          return Response.json(report, { status: report.database === "ok" ? 200 : 503, headers: { "Cache-Control": "no-store" } });
        }
        if (req.method === "GET" && path === "public-keys") return Response.json(await publicKeys(), { headers: { "Cache-Control": "no-store" } });
        if (req.method === "GET" && path === "log/sth") return Response.json(await aaSignedHead(pool, config.name, config.logKey), { headers: logHeaders });
        if (req.method === "GET" && path === "log/consistency") return Response.json(await consistencyOf(new URL(req.url)), { headers: logHeaders });
        const op = aaOpAt(path);
        if (!op) throw new AppError("NOT_FOUND", `The attribute authority has no operation "${path}".`);
        if (req.method !== "POST") return Response.json({ error: { code: "VALIDATION", message: "Use POST." } }, { status: 405, headers: { Allow: "POST" } });
        return Response.json(await call(req, op), { headers: { "Cache-Control": "no-store" } });
      } catch (error) {
        if (error instanceof PartyTokenError)
          return Response.json(
            { error: { code: "UNAUTHENTICATED", message: `The attribute authority ${config.name} refused the call: ${error.message}`, reason: error.reason } },
            { status: 401 },
          );
        if (!(error instanceof AppError)) console.error(`[medshare aa ${config.name}] ${path.slice(0, 40)} failed: ${(error as Error).name}`);
        return errorResponse(error);
      }
    },
    close: () => pool.end(),
  };
}
