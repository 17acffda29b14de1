import path from "node:path";

/** The local, git-ignored folder for the embedded database, generated secrets and demo files. */
export function dataDir(): string {
  return path.resolve(process.env.MEDSHARE_DATA_DIR ?? ".data");
}
