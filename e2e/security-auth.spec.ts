// Issue #11, accounts, sign-in and sessions: each attack that worked against the running server,
// performed again against the real built server and seen refused.
//
// Client addresses: the front gateway sets `x-medshare-client-address` from the socket and strips
// any copy a client sends (and X-Forwarded-For, X-Real-IP), so these tests act from different
// addresses by connecting from different loopback addresses (e2e/fixtures/address-client.ts), and
// every header an attacker could spoof is sent too and must not matter.
import { request as playwrightRequest, type APIRequestContext, type Browser, type Page, type Request } from "@playwright/test";
import { expect, test } from "./fixtures/test";
import { createHash, randomBytes } from "node:crypto";
import { E2E_ADMIN } from "./fixtures/accounts";
import { adminPage, approvedPerson } from "./fixtures/admin";
import { addressClient, type AddressResponse } from "./fixtures/address-client";
import { e2eSql } from "./fixtures/database";
import { newApplicant, register, signIn, signOut } from "./fixtures/helpers";

test.describe.configure({ timeout: 240_000 });

const ADDRESS = "x-medshare-client-address";

const sql = e2eSql;

/** A fresh cookie jar, as a separate client would have; with `from`, connecting from that loopback address. */
type Api = {
  get(path: string, opts?: { headers?: Record<string, string>; maxRedirects?: number }): Promise<AddressResponse>;
  post(path: string, opts: { headers?: Record<string, string>; form?: Record<string, string>; data?: string; maxRedirects?: number }): Promise<AddressResponse>;
  dispose(): Promise<void>;
};
async function client(baseURL: string | undefined, from?: string): Promise<Api> {
  if (from) return addressClient(baseURL, from);
  return playwrightRequest.newContext({ baseURL }) as Promise<APIRequestContext & Api>;
}

/** Signs in through next-auth's credentials endpoint, as the login form does; returns its error, or null. */
async function credentialsSignIn(api: Api, email: string, password: string, headers: Record<string, string> = {}): Promise<string | null> {
  const { csrfToken } = (await (await api.get("/api/auth/csrf", { headers })).json()) as { csrfToken: string };
  const res = await api.post("/api/auth/callback/credentials", {
    headers,
    form: { email, password, csrfToken, json: "true" },
    maxRedirects: 0,
  });
  expect(res.status(), "sign-in never answers with a server error").toBeLessThan(500);
  // next-auth answers `{ url }` (401 with `?error=<message>` when refused), or redirects
  const json = (res.headers()["content-type"] ?? "").includes("json");
  const target = json ? ((await res.json()) as { url: string }).url : res.headers()["location"];
  expect(target, "sign-in answers with where to go").toBeTruthy();
  return new URL(target, "http://x").searchParams.get("error");
}

/**
 * Whether a request context is signed in: the layout shows the person's name only when the
 * server accepted the session (a refused page redirects to /login, possibly inside the stream).
 */
async function signedIn(api: Api, path = "/admin"): Promise<boolean> {
  const res = await api.get(path, { maxRedirects: 0 });
  expect(res.status()).toBeLessThan(500);
  return res.status() === 200 && (await res.text()).includes('data-testid="nav-user"');
}

/**
 * The server-side session a client's cookie names (its `sid` claim, from next-auth's session
 * endpoint). Not "the admin's newest session": journeys running alongside sign in as the admin too.
 */
async function sessionIdOf(api: { get(path: string): Promise<{ json(): Promise<unknown> }> }): Promise<string> {
  const session = (await (await api.get("/api/auth/session")).json()) as { user?: { sid?: string } };
  expect(session.user?.sid).toBeTruthy();
  return session.user!.sid!;
}

async function adminSessions(): Promise<Array<{ id: string; expires_at: Date; last_seen_at: Date; revoked_at: Date | null }>> {
  return sql(
    `SELECT s.id, s.expires_at, s.last_seen_at, s.revoked_at FROM portal.sessions s JOIN portal.users u ON u.id = s.user_id
     WHERE u.email = $1 ORDER BY s.created_at DESC`,
    [E2E_ADMIN.email],
  );
}

/** The next server-action request a page sends, captured so a test can replay it with other arguments. */
function captureAction(page: Page): Promise<Request> {
  return page.waitForRequest((r) => r.method() === "POST" && Boolean(r.headers()["next-action"]));
}

async function replayAction(api: Api, captured: Request, args: unknown[]): Promise<{ status: number; body: string }> {
  const headers = { ...(await captured.allHeaders()) };
  for (const h of ["content-length", "cookie", "host", "connection"]) delete headers[h];
  const res = await api.post(captured.url(), { headers, data: JSON.stringify(args), maxRedirects: 0 });
  return { status: res.status(), body: await res.text() };
}

test.describe("setup link (item 1)", () => {
  const hashToken = (t: string) => createHash("sha256").update(`medshare-setup:${t}`).digest("hex");

  async function trySetupLink(page: Page, token: string) {
    const a = newApplicant("Setup");
    await page.goto(`/register?setup=${token}`);
    const newOrg = page.getByRole("radio", { name: /^New / });
    if (await newOrg.isVisible()) await newOrg.check();
    await page.getByLabel(/Name of the new/).fill(a.organisation);
    await page.getByLabel("Full name").fill(a.name);
    await page.getByLabel("Work e-mail").fill(a.email);
    await page.getByLabel("Global identifier (GID)").fill(a.gid);
    await page.getByLabel("Password", { exact: true }).fill(a.password);
    await page.getByLabel("Key passphrase", { exact: true }).fill(a.passphrase);
    await page.getByLabel("Repeat key passphrase").fill(a.passphrase);
    await page.getByRole("button", { name: "Register" }).click();
    return a;
  }

  test("a setup link printed at first start is refused once an admin exists", async ({ page }) => {
    // what `npm start` would have printed before the e2e server's admin was created
    const token = randomBytes(24).toString("base64url");
    await sql(`INSERT INTO portal.setup_tokens (id, token_hash) VALUES (gen_random_uuid(), $1)`, [hashToken(token)]);
    const a = await trySetupLink(page, token);
    await expect(page.getByText("An authority admin already exists, so this setup link no longer works.")).toBeVisible();
    expect(await sql(`SELECT id FROM portal.users WHERE email = $1`, [a.email])).toHaveLength(0);
  });

  test("an expired setup link is refused", async ({ page }) => {
    const token = randomBytes(24).toString("base64url");
    await sql(`INSERT INTO portal.setup_tokens (id, token_hash, expires_at) VALUES (gen_random_uuid(), $1, now() - interval '1 minute')`, [hashToken(token)]);
    const a = await trySetupLink(page, token);
    await expect(page.getByText(/This setup link has expired/)).toBeVisible();
    expect(await sql(`SELECT id FROM portal.users WHERE email = $1`, [a.email])).toHaveLength(0);
  });

  test("setup links get an expiry an hour out in the database", async () => {
    const [row] = await sql<{ minutes: number }>(
      `INSERT INTO portal.setup_tokens (id, token_hash) VALUES (gen_random_uuid(), $1)
       RETURNING extract(epoch FROM expires_at - created_at) / 60 AS minutes`,
      [hashToken(randomBytes(8).toString("hex"))],
    );
    expect(Number(row.minutes)).toBe(60);
  });
});

test.describe("sign-in abuse (item 2)", () => {
  test("31 failures from one address slow only that address, and a spoofed X-Forwarded-For does not escape it", async ({ baseURL }) => {
    const attacker = await client(baseURL, "127.0.0.10");
    const errors: Array<string | null> = [];
    for (let i = 0; i < 31; i++) {
      // a new X-Forwarded-For, X-Real-IP and client-address header every time: all ignored
      const spoof = { [ADDRESS]: `198.51.100.${i}`, "x-forwarded-for": `10.66.${i}.1`, "x-real-ip": `10.67.${i}.1` };
      errors.push(await credentialsSignIn(attacker, `ghost-${i}-${randomBytes(2).toString("hex")}@e2e.test`, "wrong password 1", spoof));
    }
    expect(errors.slice(0, 30).every((e) => e === "Wrong e-mail or password.")).toBe(true);
    expect(errors[30]).toMatch(/Too many failed sign-ins from this address/);
    // even the right password is refused from there for now …
    expect(await credentialsSignIn(attacker, E2E_ADMIN.email, E2E_ADMIN.password, { [ADDRESS]: "198.51.100.99", "x-forwarded-for": "10.99.0.1" })).toMatch(
      /Too many/,
    );
    // … but nobody else is locked out: the owner from their own address signs in
    const owner = await client(baseURL, "127.0.0.11");
    expect(await credentialsSignIn(owner, E2E_ADMIN.email, E2E_ADMIN.password)).toBeNull();
    expect(await signedIn(owner)).toBe(true);
    await Promise.all([attacker.dispose(), owner.dispose()]);
  });

  test("six wrong passwords by a stranger do not lock the owner out", async ({ baseURL }) => {
    const stranger = await client(baseURL, "127.0.0.30");
    const errors: Array<string | null> = [];
    for (let i = 0; i < 6; i++) errors.push(await credentialsSignIn(stranger, E2E_ADMIN.email, `guess number ${i}`));
    expect(errors.slice(0, 5)).toEqual(Array(5).fill("Wrong e-mail or password."));
    expect(errors[5]).toMatch(/Too many failed sign-ins for this account from your address/);
    const owner = await client(baseURL, "127.0.0.31");
    expect(await credentialsSignIn(owner, E2E_ADMIN.email, E2E_ADMIN.password)).toBeNull();
    expect(await signedIn(owner)).toBe(true);
    await Promise.all([stranger.dispose(), owner.dispose()]);
  });

  test("registration answers the same whether or not the e-mail or GID exists, and changes nothing", async ({ page, browser, baseURL }) => {
    const existing = newApplicant("Known");
    await register(page, existing, "Hospital staff");

    // a prober in another browser: a new e-mail, then the existing e-mail, then the existing GID
    const prober = await (await browser.newContext({ storageState: { cookies: [], origins: [] } })).newPage();
    const answers: string[] = [];
    // the server action's answer, read on its way to the page
    await prober.route("**/register", async (route) => {
      if (route.request().method() !== "POST" || !route.request().headers()["next-action"]) return route.fallback();
      const response = await route.fetch();
      const body = await response.text();
      answers.push(body);
      await route.fulfill({ response, body });
    });
    for (const probe of [newApplicant("Fresh"), { ...newApplicant("Probe"), email: existing.email }, { ...newApplicant("Probe"), gid: existing.gid }])
      await register(prober, probe, "Hospital staff");
    expect(answers).toHaveLength(3);
    expect(answers[1]).toBe(answers[0]);
    expect(answers[2]).toBe(answers[0]);
    const rows = await sql<{ name: string }>(`SELECT name FROM portal.users WHERE email = $1 OR gid = $2`, [existing.email, existing.gid]);
    expect(rows).toEqual([{ name: existing.name }]);
    expect(baseURL).toBeTruthy();
  });

  test("NUL bytes in registration fields and the sign-in e-mail are bad input, not a server error", async ({ page, baseURL }) => {
    const a = newApplicant("Nul");
    const captured = captureAction(page);
    await register(page, a, "Hospital staff");
    const args = JSON.parse((await captured).postData()!) as Array<Record<string, string>>;
    const api = await client(baseURL);
    for (const [field, value] of [
      ["name", "Eve\u0000 Null"],
      ["newOrganisationName", "Org\u0000 Null"],
    ] as const) {
      const b = newApplicant("Nul");
      const { status, body } = await replayAction(api, await captured, [
        { ...args[0], email: b.email, gid: b.gid, newOrganisationName: b.organisation, [field]: value },
      ]);
      expect(status).toBeLessThan(500);
      expect(body).toContain('"code":"VALIDATION"');
      expect(body).toContain("control character");
      expect(await sql(`SELECT id FROM portal.users WHERE email = $1`, [b.email])).toHaveLength(0);
    }
    expect(await credentialsSignIn(await client(baseURL, "127.0.0.40"), "eve\u0000@e2e.test", "whatever password")).toBe("Enter a valid e-mail address.");
    await api.dispose();
  });
});

test.describe("stolen session cookie and the key store (item 4)", () => {
  /** The victim signed in on two devices; the thief holds a copy of the first device's cookie. */
  async function victimAndThief(browser: Browser) {
    const admin = await adminPage(browser);
    const { a, page } = await approvedPerson(browser, admin, "Institute researcher", []);
    await admin.context().close();
    const otherDevice = await (await browser.newContext({ storageState: { cookies: [], origins: [] } })).newPage();
    await signIn(otherDevice, a.email, a.password);
    await expect(otherDevice).toHaveURL(/\/research/);
    const thief = await browser.newContext({ storageState: { cookies: [], origins: [] } });
    await thief.addCookies(await page.context().cookies());
    const thiefPage = await thief.newPage();
    return { a, page, otherDevice, thiefPage };
  }

  const wrapKeyOf = async (email: string) =>
    (await sql<{ k: Buffer }>(`SELECT wrap_public_key AS k FROM portal.users WHERE email = $1`, [email]))[0].k.toString("base64");

  async function startNewKeyStore(page: Page, password: string | null) {
    await page.goto("/keys");
    await page.getByText("Lost your key store and backup?").click();
    const form = page.getByRole("form", { name: "Start a new key store" });
    await form.getByLabel("Key passphrase", { exact: true }).fill("thief-passphrase-123");
    await form.getByLabel("Repeat key passphrase").fill("thief-passphrase-123");
    const pw = form.getByLabel("Account password");
    if (password === null) await pw.evaluate((el) => el.removeAttribute("required"));
    else await pw.fill(password);
    await form.getByRole("button", { name: "Start a new key store" }).click();
  }

  test("with the cookie alone, no or a wrong password: refused, nothing changes", async ({ browser }) => {
    const { a, page, otherDevice, thiefPage } = await victimAndThief(browser);
    const before = await wrapKeyOf(a.email);
    await startNewKeyStore(thiefPage, null);
    await expect(thiefPage.getByRole("alert").filter({ hasText: "Enter your account password." })).toBeVisible();
    await startNewKeyStore(thiefPage, "not-the-password-1");
    await expect(thiefPage.getByRole("alert").filter({ hasText: "That is not your account password. Nothing was changed." })).toBeVisible();
    expect(await wrapKeyOf(a.email)).toBe(before);
    // the owner's sessions are untouched
    await page.goto("/keys");
    await expect(page).toHaveURL(/\/keys$/);
    await otherDevice.goto("/research");
    await expect(otherDevice.getByTestId("nav-user")).toBeVisible();
  });

  test("with the password: other sessions end, the change is audited and shown at the next sign-in", async ({ browser }) => {
    const { a, page, otherDevice, thiefPage } = await victimAndThief(browser);
    const before = await wrapKeyOf(a.email);
    await startNewKeyStore(thiefPage, a.password);
    await expect(thiefPage.getByText("New key store created")).toBeVisible();
    expect(await wrapKeyOf(a.email)).not.toBe(before);

    const audit = await sql<{ data: { replacing: boolean; reauthenticated: boolean; sessionsEnded: number } }>(
      `SELECT e.data FROM ledger.audit_entries e JOIN portal.users u ON u.id::text = e.subject_id
       WHERE u.email = $1 AND e.action = 'WRAP_KEY_SET' ORDER BY e.seq DESC LIMIT 1`,
      [a.email],
    );
    expect(audit[0].data).toMatchObject({ replacing: true, reauthenticated: true });
    expect(audit[0].data.sessionsEnded).toBeGreaterThanOrEqual(1);

    // the owner's other session has ended; at their next sign-in they are told what happened, and from where
    // the thief's address as the gateway read it from the socket (loopback here)
    const notice = /Your key store was replaced on \d{4}-\d\d-\d\d \d\d:\d\d UTC from (127\.0\.0\.1|::1|::ffff:127\.0\.0\.1)/;
    await otherDevice.goto("/research");
    await expect(otherDevice).toHaveURL(/\/login/);
    await signIn(otherDevice, a.email, a.password);
    await expect(otherDevice.getByTestId("key-store-notice")).toContainText(notice);
    // the device whose cookie was copied shares the thief's session: it is told at its next page load
    await page.goto("/research");
    await expect(page.getByTestId("key-store-notice")).toContainText(notice);
  });
});

test.describe("sessions (item 5)", () => {
  async function adminContext(browser: Browser) {
    const context = await browser.newContext({ storageState: { cookies: [], origins: [] } });
    const page = await context.newPage();
    await signIn(page, E2E_ADMIN.email, E2E_ADMIN.password);
    await expect(page).toHaveURL(/\/admin$/);
    return page;
  }

  test("sign-out ends the session: the old cookie replayed afterwards is refused", async ({ browser, baseURL }) => {
    const page = await adminContext(browser);
    const stolen = await page.context().cookies();
    const sid = await sessionIdOf(page.request);
    await signOut(page);
    expect((await adminSessions()).find((s) => s.id === sid)?.revoked_at).not.toBeNull();

    const replay = await browser.newContext({ storageState: { cookies: [], origins: [] } });
    await replay.addCookies(stolen);
    const replayPage = await replay.newPage();
    await replayPage.goto("/admin");
    await expect(replayPage).toHaveURL(/\/login/);
    // next-auth's session endpoint may still re-issue the JWT, but the server does not honour it
    await replayPage.request.get("/api/auth/session");
    await replayPage.goto("/admin/audit");
    await expect(replayPage).toHaveURL(/\/login/);
    expect(baseURL).toBeTruthy();
  });

  test("the absolute lifetime and the idle timeout are enforced; polling the session endpoint is not activity", async ({ baseURL }) => {
    const api = await client(baseURL, "127.0.0.50");
    expect(await credentialsSignIn(api, E2E_ADMIN.email, E2E_ADMIN.password)).toBeNull();
    expect(await signedIn(api)).toBe(true);
    const sid = await sessionIdOf(api);
    const lifetimeHours = await sql<{ h: number }>(`SELECT extract(epoch FROM expires_at - created_at) / 3600 AS h FROM portal.sessions WHERE id = $1`, [sid]);
    expect(Number(lifetimeHours[0].h)).toBeCloseTo(12, 3);

    // 29 idle minutes: polling /api/auth/session does not move last_seen_at …
    await sql(`UPDATE portal.sessions SET last_seen_at = now() - interval '29 minutes' WHERE id = $1`, [sid]);
    const idleSince = (await adminSessions()).find((s) => s.id === sid)!.last_seen_at.getTime();
    for (let i = 0; i < 3; i++) expect((await api.get("/api/auth/session")).status()).toBe(200);
    expect((await adminSessions()).find((s) => s.id === sid)!.last_seen_at.getTime()).toBe(idleSince);
    // … a page load does (real activity)
    expect(await signedIn(api)).toBe(true);
    expect((await adminSessions()).find((s) => s.id === sid)!.last_seen_at.getTime()).toBeGreaterThan(idleSince);

    // idle for 31 minutes: refused
    await sql(`UPDATE portal.sessions SET last_seen_at = now() - interval '31 minutes' WHERE id = $1`, [sid]);
    expect(await signedIn(api)).toBe(false);

    // a fresh, active session past its absolute lifetime: refused
    const api2 = await client(baseURL, "127.0.0.51");
    expect(await credentialsSignIn(api2, E2E_ADMIN.email, E2E_ADMIN.password)).toBeNull();
    expect(await signedIn(api2)).toBe(true);
    const sid2 = await sessionIdOf(api2);
    await sql(`UPDATE portal.sessions SET expires_at = now() - interval '1 second' WHERE id = $1`, [sid2]);
    expect(await signedIn(api2)).toBe(false);
    await Promise.all([api.dispose(), api2.dispose()]);
  });
});

test.describe("open redirect after sign-in (item 6)", () => {
  for (const payload of ["/\\evil.test/x", "//evil.test/x", "/\t/evil.test/x", "https://evil.test/x", "javascript:alert(1)"]) {
    test(`next=${JSON.stringify(payload)} lands on this site`, async ({ browser, baseURL }) => {
      const context = await browser.newContext({ storageState: { cookies: [], origins: [] } });
      const page = await context.newPage();
      const left: string[] = [];
      page.on("request", (r) => {
        if (r.isNavigationRequest() && new URL(r.url()).origin !== new URL(baseURL!).origin) left.push(r.url());
      });
      await page.goto(`/login?next=${encodeURIComponent(payload)}`);
      await page.getByLabel("E-mail").fill(E2E_ADMIN.email);
      await page.getByLabel("Password").fill(E2E_ADMIN.password);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.waitForURL(/\/admin$/);
      expect(new URL(page.url()).origin).toBe(new URL(baseURL!).origin);
      expect(left).toEqual([]);
      await context.close();
    });
  }
});
