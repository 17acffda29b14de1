// Issue #12: the authority and the CSP on two hosts — two network namespaces linked by a veth
// pair (scripts/e2e-netns-server.ts) — and the whole journey across them: upload with
// clustering features, a clustering run, a cluster request, decryption in the browser.
import { expect, test } from "../e2e/fixtures/test";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseCsvDataset } from "@/lib/records/csv-import";
import { linkBytes, netnsUnavailable, type NetnsTopology } from "@/scripts/netns";
import { adminPage, approvedPerson, createCatalogue } from "../e2e/fixtures/admin";
import { unlockGate } from "../e2e/fixtures/helpers";

const WDBC = path.resolve("..", "shared", "datasets", "wdbc.csv");
const unavailable = netnsUnavailable();
test.skip(Boolean(unavailable), `split hosts need network namespaces: ${unavailable}`);

type State = { topology: NetnsTopology; port: number; cspPort: number; portalUrl: string; cspUrl: string; pids: Record<string, number | null> };
const state = (): State => JSON.parse(readFileSync(path.resolve(".data", `e2e-netns-${Number(process.env.E2E_NETNS_PORT ?? 3601)}.json`), "utf8"));

/** Tries a TCP connection from inside namespace `ns`: "open" or the error's code. */
function connectFrom(ns: string, host: string, port: number): string {
  const script = `const s=require("node:net").connect(${port},${JSON.stringify(host)});s.setTimeout(3000,()=>{console.log("TIMEOUT");process.exit()});s.on("connect",()=>{console.log("open");process.exit()});s.on("error",(e)=>{console.log(e.code);process.exit()})`;
  const r = spawnSync("ip", ["netns", "exec", ns, process.execPath, "-e", script], { encoding: "utf8" });
  return (r.stdout || r.stderr).trim();
}

/** The TCP addresses listening in namespace `ns` ("address:port"). */
function listening(ns: string): string[] {
  const r = spawnSync("ip", ["netns", "exec", ns, "ss", "-Hltn"], { encoding: "utf8" });
  return r.stdout
    .split("\n")
    .filter(Boolean)
    .map((line) => line.trim().split(/\s+/)[3]);
}

test("upload, clustering run, cluster request and decryption with the authority and the CSP on two hosts", async ({ browser, baseURL }, info) => {
  test.setTimeout(600_000);
  const { topology: net, cspPort, portalUrl, cspUrl } = state();
  expect(baseURL).toBe(portalUrl);

  // The CSP listens only on its link to the authority: the authority reaches it there, and not on
  // its own loopback; nothing of the CSP listens in the authority's namespace.
  expect(connectFrom(net.auth.ns, net.csp.toAuth, cspPort)).toBe("open");
  expect(connectFrom(net.auth.ns, "127.0.0.1", cspPort)).toBe("ECONNREFUSED");
  expect(connectFrom(net.csp.ns, "127.0.0.1", cspPort)).toBe("ECONNREFUSED");
  expect(listening(net.csp.ns).filter((a) => a.endsWith(`:${cspPort}`))).toEqual([`${net.csp.toAuth}:${cspPort}`]);
  expect(listening(net.auth.ns).filter((a) => a.endsWith(`:${cspPort}`))).toEqual([]);
  // and the portal's environment points at it there
  const authorityEnv = readFileSync(`/proc/${state().pids.authority}/environ`, "utf8").split("\0");
  expect(authorityEnv).toContain(`MEDSHARE_CSP_URL=${cspUrl}`);
  const before = linkBytes(net.csp.ns, net.csp.link.toAuth);

  const admin = await adminPage(browser);
  const code = await createCatalogue(admin, ["hospital", "researcher"]);
  const { a: staff, page } = await approvedPerson(browser, admin, "Hospital staff", [`${code}.hospital`], "Net");

  // the first 120 records of WDBC, with the features the clustering run reads
  const csv = info.outputPath("wdbc-120.csv");
  writeFileSync(csv, readFileSync(WDBC, "utf8").split("\n").slice(0, 121).join("\n") + "\n");
  await page.goto("/hospital/upload");
  await unlockGate(page, staff.passphrase);
  await page.getByLabel(/Drop a CSV/).setInputFiles(csv);
  await page.getByLabel("Policy", { exact: true }).fill(`${code}.researcher`);
  await page.getByLabel("Label").fill(`WDBC split ${code}`);
  await page.getByRole("button", { name: "Encrypt and upload" }).click();
  await expect(page.getByText("30 numeric fields were encrypted for clustering (CKKS) and stored.")).toBeVisible({ timeout: 180_000 });
  // the ciphertexts went to the CSP over the link between the two hosts
  const afterUpload = linkBytes(net.csp.ns, net.csp.link.toAuth);
  expect(afterUpload.rx - before.rx).toBeGreaterThan(200_000);

  await admin.goto("/admin/clustering");
  for (const box of await admin.getByRole("checkbox").all()) await box.uncheck();
  const ours = admin.getByRole("checkbox", { name: new RegExp(`WDBC split ${code}`) });
  await expect(ours).toBeVisible();
  await ours.check();
  await admin.getByLabel("Number of clusters (k)").fill("2");
  await admin.getByRole("button", { name: "Start clustering run" }).click();
  await expect(admin).toHaveURL(/\/admin\/clustering\/[0-9a-f-]{36}$/);
  await expect(admin.getByTestId("run-status")).toContainText("succeeded", { timeout: 300_000 });
  const runId = admin.url().split("/").pop()!;
  // the run was computed on the CSP's host, by a worker holding no KEK, and its key holder's orders
  // (encrypted centers and weights) came from the authority's host over the link between them
  const worker = state().pids.worker!;
  expect(spawnSync("ip", ["netns", "identify", String(worker)], { encoding: "utf8" }).stdout.trim()).toBe(net.csp.ns);
  expect(
    readFileSync(`/proc/${worker}/environ`, "utf8")
      .split("\0")
      .filter((v) => v.startsWith("MEDSHARE_KEK=")),
  ).toEqual([]);
  const afterRun = linkBytes(net.csp.ns, net.csp.link.toAuth);
  expect(afterRun.rx - afterUpload.rx).toBeGreaterThan(1_000_000);

  const { a: res, page: rp } = await approvedPerson(browser, admin, "Institute researcher", [`${code}.researcher`], "NetRes");
  await rp.getByRole("button", { name: "Create transform key" }).click();
  await expect(rp.getByTestId("tk-status")).toContainText("Stored with the authority");
  await rp.goto("/research");
  const row = rp
    .getByTestId(`run-${runId}`)
    .getByRole("row")
    .filter({ has: rp.getByRole("radio") })
    .first();
  await expect(row).toBeVisible({ timeout: 30_000 });
  const size = Number((await row.getByRole("cell").nth(2).innerText({ timeout: 30_000 })).replace(/\D/g, ""));
  expect(size).toBeGreaterThan(0);
  expect(size).toBeLessThan(120);
  await row.getByRole("radio").check();
  await rp.getByLabel("Purpose of use").fill("One cluster of aspirates, across two hosts");
  await rp.getByLabel("I accept the terms of use of the hospitals whose records I request").check();
  await rp.getByRole("button", { name: "Request, sign and decrypt" }).click();
  await unlockGate(rp, res.passphrase);
  await expect(rp.getByText(`WDBC split ${code}: ${size} records decrypted in your browser`)).toBeVisible({ timeout: 120_000 });

  // what was decrypted is exactly that many of the uploaded records, field by field
  const download = rp.waitForEvent("download");
  await rp.getByRole("button", { name: "Export CSV" }).click();
  const file = info.outputPath("export.csv");
  await (await download).saveAs(file);
  const exported = parseCsvDataset(readFileSync(file, "utf8")).dataset!;
  const original = parseCsvDataset(readFileSync(csv, "utf8")).dataset!;
  const key = (r: Record<string, unknown>) => original.columns.map((c) => String(r[c.name])).join("|");
  const uploaded = new Set(original.rows.map(key));
  expect(exported.rows).toHaveLength(size);
  expect(exported.rows.filter((r) => !uploaded.has(key(r)))).toEqual([]);
  expect(new Set(exported.rows.map(key)).size).toBe(size);

  // the released ciphertexts came back from the CSP over the same link
  expect(linkBytes(net.csp.ns, net.csp.link.toAuth).tx - afterUpload.tx).toBeGreaterThan(10_000);
});
