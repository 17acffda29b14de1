// `npm run migrate`: applies prisma/migrations to DATABASE_URL (or the embedded database).
import { openDatabase } from "@/lib/db/bootstrap";

const database = await openDatabase({ log: (m) => console.log(`[migrate] ${m}`) });
console.log("[migrate] database is up to date");
await database.stop();
