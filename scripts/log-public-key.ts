// `npm run log:public-key -- authority|csp`: prints the Ed25519 public key (hex) of this host's
// log-signing key, the value the OTHER party sets to witness this party's log (docs/DEPLOY.md):
// on the authority's host `authority` -> the CSP host's MEDSHARE_AUTHORITY_LOG_PUBLIC_KEY; on the
// CSP's host `csp` -> the authority host's MEDSHARE_CSP_LOG_PUBLIC_KEY. It never creates a key.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { dataDir } from "@/lib/config/data-dir";
import { hexKey, publicKeyOf } from "@/lib/parties/token";

const log = process.argv[2];
if (log !== "authority" && log !== "csp") {
  console.error("usage: npm run log:public-key -- authority|csp");
  process.exit(2);
}
const [env, field] = log === "authority" ? ["MEDSHARE_LEDGER_SIGNING_KEY", "ledgerSigningKey"] : ["MEDSHARE_CSP_LOG_SIGNING_KEY", "cspLogSigningKey"];
const file = path.join(dataDir(), "secrets.json");
const stored = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Record<string, string | undefined>) : {};
const hex = process.env[env] ?? stored[field];
if (!hex) {
  console.error(`No ${log} log-signing key here (${file}, ${env}). Run this on the ${log}'s host, after its first \`npm start\`.`);
  process.exit(1);
}
console.log(Buffer.from(publicKeyOf(hexKey(hex, `the ${log} log-signing key`))).toString("hex"));
