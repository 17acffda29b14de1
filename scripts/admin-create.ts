// `npm run admin:create`: creates an approved authority admin. Prompts for what the flags omit:
//   npm run admin:create -- --email a@b.org --name "Ada" --gid ada@ha1 --password '...' [--organisation "Hospital Authority"]
import { randomBytes } from "node:crypto";
import { createInterface } from "node:readline/promises";
import { parseArgs } from "node:util";
import { openDatabase } from "@/lib/db/bootstrap";
import { createApprovedAccount } from "@/lib/portal/accounts";
import { gidSchema, passwordSchema } from "@/lib/validation/registration";

const { values } = parseArgs({
  options: { email: { type: "string" }, name: { type: "string" }, gid: { type: "string" }, password: { type: "string" }, organisation: { type: "string" } },
});

async function ask(question: string, fallback?: string): Promise<string> {
  if (!process.stdin.isTTY) {
    if (fallback !== undefined) return fallback;
    throw new Error(`missing --${question.split(" ")[0].toLowerCase()} (no terminal to ask on)`);
  }
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  const answer = await rl.question(`${question}${fallback ? ` [${fallback}]` : ""}: `);
  rl.close();
  return answer.trim() || fallback || "";
}

const email = values.email ?? (await ask("Email"));
const name = values.name ?? (await ask("Name", "Authority admin"));
const gid = gidSchema.parse(values.gid ?? (await ask("GID", email)));
const generated = randomBytes(12).toString("base64url");
const password = passwordSchema.parse(values.password ?? (await ask("Password (12+ characters; empty = generate one)", generated)));
const organisation = values.organisation ?? "Hospital Authority";

const database = await openDatabase();
try {
  const user = await createApprovedAccount({ organisation, kind: "AUTHORITY", name, email, gid, password, role: "AUTHORITY_ADMIN", reason: "admin:create" });
  if (!user) {
    console.error(`An account with e-mail ${email} already exists.`);
    process.exitCode = 1;
  } else {
    console.log(`Authority admin ${user.email} created in "${organisation}".${password === generated ? ` Password: ${password}` : ""}`);
  }
} finally {
  await database.stop();
}
