import { readFileSync } from "node:fs";
import path from "node:path";
import { dataDir } from "./data-dir";
import { settings } from "./env";

/** Written by `npm start` (scripts/start.ts): where the app answers and which processes run it. */
export type RunFile = {
  url?: string;
  launcher?: number;
  web?: number | null;
  csp?: number | null;
  worker?: number | null;
  /** Each attribute authority's process, and where the portal reaches them (MEDSHARE_AA_URLS). */
  aas?: Record<string, number | null>;
  aaUrls?: string;
};

export const runFile = () => path.join(dataDir(), "run.json");

export function readRunFile(): RunFile | null {
  try {
    return JSON.parse(readFileSync(runFile(), "utf8")) as RunFile;
  } catch {
    return null;
  }
}

/** The address people open: the running server's, else what PORT would give. */
export function appUrl(): string {
  const { NEXTAUTH_URL, PORT } = settings();
  return NEXTAUTH_URL ?? readRunFile()?.url ?? `http://localhost:${PORT}`;
}
