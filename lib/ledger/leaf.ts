import { fromHex, leafHash } from "./merkle";

/** An entry's leaf in its party's tree: SHA-256(0x00 || entry hash), the hash being 32 bytes (hex). */
export const entryLeafOf = (entryHashHex: string) => leafHash(fromHex(entryHashHex));
