import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "@/lib/generated/prisma/client";
import { settings } from "@/lib/config/env";

function createClient() {
  const connectionString = settings().DATABASE_URL;
  if (!connectionString) throw new Error("DATABASE_URL is not set. Start MedShare with `npm start`.");
  return new PrismaClient({
    adapter: new PrismaPg({ connectionString }),
    // Password hashes never leave the data layer unless a query asks for them by name.
    omit: { user: { passwordHash: true } },
  });
}

export type Db = ReturnType<typeof createClient>;
/** A transaction client as handed to `db.$transaction(async (tx) => ...)`. */
export type Tx = Parameters<Parameters<Db["$transaction"]>[0]>[0];

const globalForPrisma = globalThis as unknown as { medsharePrisma?: Db };

/** The process-wide Prisma client (one pool; survives Next's dev reloads). */
export function db(): Db {
  globalForPrisma.medsharePrisma ??= createClient();
  return globalForPrisma.medsharePrisma;
}
