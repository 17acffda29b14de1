import path from "node:path";
import { settings } from "./env";

/** The local, git-ignored folder for the embedded database, generated secrets and demo files. */
export function dataDir(): string {
  return path.resolve(settings().MEDSHARE_DATA_DIR);
}
