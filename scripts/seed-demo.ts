// `npm run seed:demo`: demo organisations and one approved account per role, printed with passwords.
import { openDatabase } from "@/lib/db/bootstrap";
import { createApprovedAccount } from "@/lib/portal/accounts";

const DEMO_PASSWORD = "medshare-demo-2026";

const accounts = [
  { organisation: "Hospital Authority HA1", kind: "AUTHORITY", role: "AUTHORITY_ADMIN", name: "Alex Admin", email: "admin@medshare.demo", gid: "admin.ha1" },
  { organisation: "St. Mary's General Hospital", kind: "HOSPITAL", role: "HOSPITAL_STAFF", name: "Hana Hospital", email: "staff@medshare.demo", gid: "hana.stmarys" },
  { organisation: "Northfield Medical Research Institute", kind: "INSTITUTE", role: "RESEARCHER", name: "Riley Researcher", email: "researcher@medshare.demo", gid: "riley.northfield" },
] as const;

const database = await openDatabase();
try {
  const rows: Array<{ role: string; email: string; password: string; status: string }> = [];
  for (const a of accounts) {
    const created = await createApprovedAccount({ ...a, password: DEMO_PASSWORD, reason: "seed:demo" });
    rows.push({ role: a.role, email: a.email, password: DEMO_PASSWORD, status: created ? "created" : "already there" });
  }
  console.log("Demo accounts (sign in at http://localhost:3000/login):");
  console.table(rows);
} finally {
  await database.stop();
}
