import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { appUrl } from "./run-file";

// Issue #11 Low: the `seed:demo` banner printed port 3000 whatever PORT the server ran on.
describe("appUrl (the address the seed:demo banner prints)", () => {
  const saved = { ...process.env };
  let dir = "";
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "medshare-run-"));
    process.env.MEDSHARE_DATA_DIR = dir;
    delete process.env.NEXTAUTH_URL;
    delete process.env.PORT;
  });
  afterEach(() => {
    process.env = { ...saved };
    rmSync(dir, { recursive: true, force: true });
  });

  it("is the running server's address from npm start's run file", () => {
    writeFileSync(path.join(dir, "run.json"), JSON.stringify({ url: "http://localhost:4123", launcher: 1 }));
    process.env.PORT = "3000";
    expect(appUrl()).toBe("http://localhost:4123");
  });

  it("follows PORT when no server has written a run file", () => {
    process.env.PORT = "4555";
    expect(appUrl()).toBe("http://localhost:4555");
  });

  it("prefers the configured public URL", () => {
    process.env.NEXTAUTH_URL = "https://portal.example";
    writeFileSync(path.join(dir, "run.json"), JSON.stringify({ url: "http://localhost:4123" }));
    expect(appUrl()).toBe("https://portal.example");
  });
});
