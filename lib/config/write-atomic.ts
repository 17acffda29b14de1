import { renameSync, writeFileSync } from "node:fs";

/**
 * Writes `file` whole or not at all (write a temporary file, then rename it over): a reader sees
 * the old content or the new, never a half-written file, and a crash mid-write loses nothing.
 */
export function writeFileAtomic(file: string, data: string, mode = 0o600): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, data, { mode });
  renameSync(tmp, file);
}
