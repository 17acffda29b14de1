/**
 * A Chromium driven over the DevTools protocol with nothing switched on but what a step needs:
 * no Network domain, so request bodies are not copied to the driver as Playwright's
 * instrumentation copies them (scripts/bench-fetch-bodies.ts: 25 bodies of 5.9 MB, 1.7 s in a
 * plain Chromium, 24 s under Playwright). bench:upload times the upload in one of these, after
 * Playwright has made the person and their keys.
 *
 * The connection is `--remote-debugging-pipe`: messages are NUL-terminated JSON on the
 * browser's fds 3 (in) and 4 (out), so no WebSocket client is needed.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Readable, Writable } from "node:stream";
import { CHROMIUM_ARGS } from "../../e2e/fixtures/chromium";

type Pending = { resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void; method: string };

export class PlainChromium {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private buffer = "";

  private constructor(
    private readonly child: ChildProcess,
    private readonly input: Writable,
    private readonly profile: string,
  ) {
    const output = child.stdio[4] as Readable;
    output.setEncoding("utf8");
    output.on("data", (data: string) => {
      this.buffer += data;
      let end: number;
      while ((end = this.buffer.indexOf("\0")) >= 0) {
        const message = JSON.parse(this.buffer.slice(0, end)) as { id?: number; result?: Record<string, unknown>; error?: { message: string } };
        this.buffer = this.buffer.slice(end + 1);
        const waiting = message.id === undefined ? undefined : this.pending.get(message.id);
        if (!waiting) continue; // events: none are enabled that we need
        this.pending.delete(message.id!);
        if (message.error) waiting.reject(new Error(`${waiting.method}: ${message.error.message}`));
        else waiting.resolve(message.result ?? {});
      }
    });
  }

  static launch(executable: string): PlainChromium {
    const profile = mkdtempSync(path.join(os.tmpdir(), "medshare-plain-chromium-"));
    const child = spawn(executable, ["--headless", "--remote-debugging-pipe", `--user-data-dir=${profile}`, ...CHROMIUM_ARGS, "about:blank"], {
      stdio: ["ignore", "ignore", "ignore", "pipe", "pipe"],
    });
    return new PlainChromium(child, child.stdio[3] as Writable, profile);
  }

  send(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, method });
      this.input.write(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }) + "\0");
    });
  }

  /** A new tab at `url`, attached (flat session); only the Page domain is enabled, for load events. */
  async newPage(): Promise<PlainPage> {
    const { targetId } = await this.send("Target.createTarget", { url: "about:blank" });
    const { sessionId } = await this.send("Target.attachToTarget", { targetId, flatten: true });
    return new PlainPage(this, sessionId as string);
  }

  /** Ends the browser (asked to close, killed if it does not within 5 s) and removes its throwaway profile. */
  async close(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((resolve) => this.child.once("exit", resolve));
      void this.send("Browser.close").catch(() => undefined);
      const timer = setTimeout(() => this.child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    }
    // its helper processes may still be writing for a moment after the browser process has gone
    for (let attempt = 0; ; attempt++) {
      try {
        rmSync(this.profile, { recursive: true, force: true });
        return;
      } catch (error) {
        if (attempt === 10) throw error;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }
}

export class PlainPage {
  constructor(
    private readonly browser: PlainChromium,
    private readonly sessionId: string,
  ) {}

  private send(method: string, params: Record<string, unknown> = {}) {
    return this.browser.send(method, params, this.sessionId);
  }

  /** Navigates and waits until the document has loaded. */
  async goto(url: string): Promise<void> {
    await this.send("Page.navigate", { url });
    await this.waitFor(`document.readyState === "complete" && location.href === ${JSON.stringify(url)}`, 60_000);
  }

  /** Evaluates an expression in the page (promises awaited), returning its value as JSON. */
  async evaluate<T>(expression: string): Promise<T> {
    const r = (await this.send("Runtime.evaluate", { expression, awaitPromise: true, returnByValue: true })) as {
      result: { value?: T };
      exceptionDetails?: { exception?: { description?: string }; text: string };
    };
    if (r.exceptionDetails) throw new Error(`in the page: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
    return r.result.value as T;
  }

  /** Polls an expression until it is truthy (every 100 ms, so the page's own work is barely disturbed). */
  async waitFor(expression: string, timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const ok = await this.evaluate<boolean>(`(() => { try { return !!(${expression}); } catch { return false; } })()`).catch(() => false);
      if (ok) return;
      if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${expression}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Puts files into the `<input type=file>` that `selector` finds (a change event follows, as when a person picks them). */
  async setInputFiles(selector: string, files: string[]): Promise<void> {
    const r = (await this.send("Runtime.evaluate", { expression: `document.querySelector(${JSON.stringify(selector)})` })) as {
      result: { objectId?: string };
    };
    if (!r.result.objectId) throw new Error(`no element for ${selector}`);
    await this.send("DOM.setFileInputFiles", { files, objectId: r.result.objectId });
  }
}

/**
 * Browser-side helpers for `evaluate`: find a control by its label's text, set a React-controlled
 * value the way typing does (the native setter, then an input event), click a button by its text.
 */
export const PAGE_HELPERS = `
  window.__bench = {
    control(label) {
      const l = [...document.querySelectorAll("label")].find((x) => x.textContent.trim() === label);
      if (!l || !l.control) throw new Error("no control labelled " + label);
      return l.control;
    },
    fill(label, value) {
      const el = this.control(label);
      const proto = el instanceof HTMLTextAreaElement ? HTMLTextAreaElement.prototype : HTMLInputElement.prototype;
      Object.getOwnPropertyDescriptor(proto, "value").set.call(el, value);
      el.dispatchEvent(new Event("input", { bubbles: true }));
    },
    button(text) {
      return [...document.querySelectorAll("button")].find((b) => b.textContent.trim() === text);
    },
    click(text) {
      const b = this.button(text);
      if (!b) throw new Error("no button " + text);
      b.click();
    },
    text() { return document.body.innerText; },
  };
`;
