// Generates the Prisma client after install. Prisma's CLI would otherwise try to download a
// schema engine it does not need for `generate` (unreachable on offline machines).
import { execSync } from "node:child_process";
import { existsSync } from "node:fs";

if (existsSync("prisma/schema.prisma")) {
  execSync("npx prisma generate", {
    stdio: "inherit",
    env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: "/bin/true", PRISMA_HIDE_UPDATE_MESSAGE: "1" },
  });
}
