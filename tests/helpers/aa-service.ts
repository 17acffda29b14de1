import { randomBytes } from "node:crypto";
import { inject } from "vitest";
import { createAaService, type AaService } from "@/lib/aa/service";
import { serveHandler } from "@/lib/aa/http";
import { provisionAaDatabase } from "@/lib/aa/schema";
import { hexKey, publicKeyOf } from "@/lib/parties/token";
import { rawSql } from "./db";

/** One attribute authority served over HTTP from the test process, on a database of its own. */
export type TestAa = {
  name: string;
  url: string;
  /** Its own database, as its service role; and as its owner (what its operator holds). */
  databaseUrl: string;
  ownerUrl: string;
  kek: Buffer;
  /** Its log-signing key; a test may swap it (then stop and start) as a rogue operator would. */
  logKey: Buffer;
  /** Takes it off the network (an outage) and back on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
};

/**
 * The attribute authorities HA1 and NRI (lib/aa/service.ts) as the portal code under test reaches
 * them under `npm start`: over HTTP, each with its own database and key-encryption key, accepting
 * only the registration authority's tokens (MEDSHARE_PARTY_SIGNING_KEY, set by ./csp-service.ts).
 * Sets MEDSHARE_AA_URLS for the portal code.
 */
export async function startAaServices(
  names: readonly string[] = ["HA1", "NRI"],
  /** A superuser's URL (default: the test run's PostgreSQL; a benchmark script passes its own). */
  admin: string = inject("adminDatabaseUrl"),
): Promise<{ aas: TestAa[]; close(): Promise<void> }> {
  const suffix = randomBytes(4).toString("hex");
  const owner = { name: `t_aa_owner_${suffix}`, password: randomBytes(18).toString("base64url") };
  await rawSql(admin, `CREATE ROLE ${owner.name} LOGIN NOSUPERUSER NOCREATEROLE PASSWORD '${owner.password}'`);
  const registrationAuthorityKey = publicKeyOf(hexKey(process.env.MEDSHARE_PARTY_SIGNING_KEY, "MEDSHARE_PARTY_SIGNING_KEY"));
  const aas: TestAa[] = [];
  for (const name of names) {
    const tag = `${name.toLowerCase()}_${suffix}`;
    const { url: databaseUrl, ownerUrl } = await provisionAaDatabase(admin, name, owner, randomBytes(18).toString("base64url"), {
      database: `t_aa_${tag}`,
      role: `t_aa_${tag}_service`,
    });
    const kek = randomBytes(32);
    const logKey = randomBytes(32);
    let service: AaService | null = null;
    let served: Awaited<ReturnType<typeof serveHandler>> | null = null;
    let port = 0;
    const aa: TestAa = {
      name,
      url: "",
      databaseUrl,
      ownerUrl,
      kek,
      logKey,
      async start() {
        service = createAaService({ name, databaseUrl, kek, registrationAuthorityKey, logKey: aa.logKey });
        served = await serveHandler(service.handle, { port });
        port = served.port;
        aa.url = served.url;
      },
      async stop() {
        served?.server.closeAllConnections();
        await served?.close();
        await service?.close();
        served = null;
        service = null;
      },
    };
    await aa.start();
    aas.push(aa);
  }
  process.env.MEDSHARE_AA_URLS = aas.map((aa) => `${aa.name}=${aa.url}`).join(",");
  return { aas, close: async () => void (await Promise.all(aas.map((aa) => aa.stop()))) };
}
