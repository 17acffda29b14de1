/**
 * Strings both sides must agree on. The wrap context binds a wrapped key to its holder,
 * attribute and version, so a wrapped key copied to another row or person fails to unwrap.
 */
export const sikWrapContext = (gid: string, attribute: string, version: number) => `sik:${gid}:${attribute}:v${version}`;

/** Key of an attribute key version in the browser's key store, e.g. "HA1.cardiology@2". */
export const keyId = (attribute: string, version: number) => `${attribute}@${version}`;

export function parseKeyId(id: string): { attribute: string; version: number } {
  const at = id.lastIndexOf("@");
  return { attribute: id.slice(0, at), version: Number(id.slice(at + 1)) };
}
