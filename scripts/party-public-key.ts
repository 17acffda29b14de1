// `npm run party:public-key`: prints the authority's Ed25519 public key (hex), the value the CSP's
// host sets as MEDSHARE_AUTHORITY_PUBLIC_KEY to verify the authority's tokens (docs/DEPLOY.md).
// Run it on the authority's host: it reads MEDSHARE_PARTY_SIGNING_KEY, else the partySigningKey
// of the local secrets (.data/secrets.json, or MEDSHARE_DATA_DIR). It never creates a key: a
// public key of a key made here would be of no use to anyone.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { dataDir } from "@/lib/config/data-dir";
import { hexKey, publicKeyOf } from "@/lib/parties/token";

function signingKeyHex(): string {
  if (process.env.MEDSHARE_PARTY_SIGNING_KEY) return process.env.MEDSHARE_PARTY_SIGNING_KEY;
  const file = path.join(dataDir(), "secrets.json");
  const stored = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as { partySigningKey?: string }) : {};
  if (!stored.partySigningKey) {
    console.error(`No party-signing key here (${file}, MEDSHARE_PARTY_SIGNING_KEY). Run this on the authority's host, after its first \`npm start\`.`);
    process.exit(1);
  }
  return stored.partySigningKey;
}

const secret = hexKey(signingKeyHex(), "the party-signing key");
console.log(Buffer.from(publicKeyOf(secret)).toString("hex"));
