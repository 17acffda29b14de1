// Prisma CLI configuration. The app itself connects through @prisma/adapter-pg (lib/db/client.ts);
// migrations are applied by scripts/migrate.ts (see lib/db/migrate.ts) in Prisma's layout.
import { defineConfig } from "prisma/config";

export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  datasource: { url: process.env.DATABASE_URL ?? "postgresql://localhost:5432/medshare" },
});
