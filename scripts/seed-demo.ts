// `npm run seed:demo`: two demo attribute authorities with attributes, one approved account per role (printed
// with passwords) holding sensible attributes, and synthetic patient files to upload.
import path from "node:path";
import { dataDir } from "@/lib/config/data-dir";
import { appUrl } from "@/lib/config/run-file";
import { openDatabase } from "@/lib/db/bootstrap";
import { db } from "@/lib/db/client";
import { createAttribute, createAuthority } from "@/lib/authority/catalogue";
import { grantAttributesNow } from "@/lib/authority/keys";
import { flushCheckpoint } from "@/lib/ledger/checkpoint";
import { createApprovedAccount } from "@/lib/portal/accounts";
import { savePolicyTemplate } from "@/lib/portal/policy-templates";
import { writeSyntheticFiles } from "./generate-synthetic";

const DEMO_PASSWORD = "medshare-demo-2026";

const accounts = [
  {
    organisation: "Hospital Authority HA1",
    kind: "AUTHORITY",
    role: "AUTHORITY_ADMIN",
    name: "Alex Admin",
    email: "admin@medshare.demo",
    gid: "admin.ha1",
    attributes: [],
  },
  {
    organisation: "St. Mary's General Hospital",
    kind: "HOSPITAL",
    role: "HOSPITAL_STAFF",
    name: "Hana Hospital",
    email: "staff@medshare.demo",
    gid: "hana.stmarys",
    attributes: ["HA1.hospital"],
  },
  {
    organisation: "Northfield Medical Research Institute",
    kind: "INSTITUTE",
    role: "RESEARCHER",
    name: "Riley Researcher",
    email: "researcher@medshare.demo",
    gid: "riley.northfield",
    attributes: ["HA1.researcher", "HA1.cardiology", "NRI.oncology"],
  },
] as const;

// Two attribute authorities: the consortium's HA1 and the research institute's NRI, so a policy
// can span both ("HA1.researcher AND NRI.oncology": the policy builder says "HA1 and NRI together").
const authorities = [
  {
    code: "HA1",
    name: "Hospital Authority 1",
    description: "Demo attribute authority of the hospital consortium",
    attributes: [
      ["hospital", "Staff of a member hospital (signs uploads)"],
      ["researcher", "Approved researcher of a member institute"],
      ["cardiology", "Cardiology studies"],
      ["oncology", "Oncology studies"],
    ],
  },
  {
    code: "NRI",
    name: "Northfield Research Institute",
    description: "Demo attribute authority of the research institute (its own programmes)",
    attributes: [
      ["oncology", "Member of the institute's oncology programme"],
      ["genomics", "Member of the institute's genomics programme"],
    ],
  },
] as const;

const templates = [
  ["Cardiology researchers (HA1)", "HA1.researcher AND HA1.cardiology"],
  ["Oncology programme (HA1 and NRI)", "HA1.researcher AND NRI.oncology"],
] as const;

const database = await openDatabase();
try {
  const admin = await createApprovedAccount({ ...accounts[0], password: DEMO_PASSWORD, reason: "seed:demo" });
  const adminId = admin?.id ?? (await db().user.findUniqueOrThrow({ where: { email: accounts[0].email } })).id;
  for (const { code, name, description, attributes } of authorities) {
    if (await db().attributeAuthority.findUnique({ where: { code } })) continue;
    const authority = await createAuthority(adminId, { code, name, description });
    for (const [localName, about] of attributes) await createAttribute(adminId, { authorityId: authority.id, localName, description: about });
  }
  const rows: Array<{ role: string; email: string; password: string; attributes: string; status: string }> = [];
  for (const a of accounts) {
    const created = a.role === "AUTHORITY_ADMIN" ? admin : await createApprovedAccount({ ...a, password: DEMO_PASSWORD, reason: "seed:demo" });
    if (created && a.attributes.length) {
      const ids = (await db().attribute.findMany({ where: { name: { in: [...a.attributes] } }, select: { id: true } })).map((x) => x.id);
      await grantAttributesNow({ adminId, userId: created.id, attributeIds: ids });
    }
    rows.push({
      role: a.role,
      email: a.email,
      password: DEMO_PASSWORD,
      attributes: a.attributes.join(", ") || "—",
      status: created ? "created" : "already there",
    });
  }
  // The hospital's templates span both authorities (the policy builder says who could issue such keys).
  const staff = await db().user.findUniqueOrThrow({ where: { email: accounts[1].email }, select: { id: true, organisationId: true } });
  for (const [name, policy] of templates)
    if (!(await db().policyTemplate.findFirst({ where: { organisationId: staff.organisationId, name } })))
      await savePolicyTemplate({ id: staff.id, organisation: { id: staff.organisationId } }, { name, policy });
  const files = await writeSyntheticFiles({ n: 500, seed: 42, outDir: path.join(dataDir(), "demo") });
  console.log(`Demo accounts (sign in at ${appUrl()}/login):`);
  console.table(rows);
  console.log("Each person's keys are issued when they first open “My keys” and set up key storage in their browser.");
  console.log(`Synthetic patients to upload (no real people): ${files.csv} and ${files.fhir}`);
  console.log(`A real public dataset works too: ${path.resolve("..", "shared", "datasets", "wdbc.csv")}`);
} finally {
  await flushCheckpoint();
  await database.stop();
}
