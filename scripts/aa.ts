// One attribute authority's service (issue #13, lib/aa/service.ts): its own process, database and
// key-encryption key. `npm start` runs one per configured AA (MEDSHARE_AAS, default HA1 and NRI);
// another organisation runs its own with `MEDSHARE_SERVICES=aa MEDSHARE_AAS=NRI npm start` (docs/DEPLOY.md).
// Environment: MEDSHARE_AA_NAME, DATABASE_URL (its own database, its service role),
// MEDSHARE_AA_KEK (base64, 32 bytes), MEDSHARE_AA_LOG_SIGNING_KEY (its log's Ed25519 key, hex),
// MEDSHARE_AUTHORITY_PUBLIC_KEY (the registration
// authority's token key, hex), PORT, HOST.
import { createAaService } from "@/lib/aa/service";
import { serveHandler } from "@/lib/aa/http";
import { hexKey } from "@/lib/parties/token";

const name = process.env.MEDSHARE_AA_NAME ?? "";
const kek = Buffer.from(process.env.MEDSHARE_AA_KEK ?? "", "base64");
const logKey = /^[0-9a-fA-F]{64}$/.test(process.env.MEDSHARE_AA_LOG_SIGNING_KEY ?? "") ? Buffer.from(process.env.MEDSHARE_AA_LOG_SIGNING_KEY!, "hex") : null;
if (!name || !process.env.DATABASE_URL || kek.length !== 32 || !logKey) {
  console.error("[medshare aa] MEDSHARE_AA_NAME, DATABASE_URL, MEDSHARE_AA_KEK (32 bytes, base64) and MEDSHARE_AA_LOG_SIGNING_KEY (32 bytes, hex) must be set");
  process.exit(1);
}
const service = createAaService({
  name,
  databaseUrl: process.env.DATABASE_URL,
  kek,
  logKey,
  registrationAuthorityKey: hexKey(process.env.MEDSHARE_AUTHORITY_PUBLIC_KEY, "MEDSHARE_AUTHORITY_PUBLIC_KEY"),
});
const served = await serveHandler(service.handle, { port: Number(process.env.PORT ?? 0), host: process.env.HOST ?? "127.0.0.1" });
console.log(`[medshare aa ${name}] the attribute authority ${name} is running at ${served.url}`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await served.close();
  await service.close();
  process.exit(0);
};
process.on("SIGINT", () => void stop());
process.on("SIGTERM", () => void stop());
// Supervised (scripts/aa-process.ts): stdin is a pipe from the parent; it closes when the parent dies.
if (process.env.MEDSHARE_AA_SUPERVISED === "1") {
  process.stdin.on("end", () => void stop());
  process.stdin.on("error", () => void stop());
  process.stdin.resume();
}
