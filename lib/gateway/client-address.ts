import { BlockList, isIP } from "node:net";

/**
 * Which socket peers may tell us the client's address in X-Forwarded-For: only the reverse
 * proxies listed in MEDSHARE_TRUSTED_PROXIES (comma-separated IPs or CIDRs). Anyone else's
 * forwarding headers are ignored, so a client cannot pick its own address.
 */
export function trustedProxies(spec: string | undefined): BlockList {
  const list = new BlockList();
  for (const raw of (spec ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [address, bits] = raw.split("/");
    const type = isIP(address) === 6 ? "ipv6" : isIP(address) === 4 ? "ipv4" : null;
    if (!type) throw new Error(`MEDSHARE_TRUSTED_PROXIES: "${raw}" is not an IP address or CIDR`);
    if (bits === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(bits), type);
  }
  return list;
}

/** "::ffff:127.0.0.1" → "127.0.0.1", so IPv4 rules match IPv4 clients on a dual-stack socket. */
export function plainAddress(address: string): string {
  const trimmed = address.trim().replace(/^\[|\]$/g, "");
  return trimmed.toLowerCase().startsWith("::ffff:") && isIP(trimmed.slice(7)) === 4 ? trimmed.slice(7) : trimmed;
}

function isTrusted(list: BlockList, address: string): boolean {
  const kind = isIP(address);
  return kind !== 0 && list.check(address, kind === 6 ? "ipv6" : "ipv4");
}

/**
 * The client's address: the socket peer, or, when that peer is a trusted proxy, the
 * right-most X-Forwarded-For entry that is not itself a trusted proxy (entries left of it
 * were written by the client and prove nothing).
 */
export function clientAddress(socketAddress: string, forwardedFor: string | string[] | undefined, trusted: BlockList): string {
  let client = plainAddress(socketAddress);
  if (!isTrusted(trusted, client) || !forwardedFor) return client;
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(",") : forwardedFor).split(",").map(plainAddress).filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i--) {
    if (isIP(hops[i]) === 0) break; // garbage: stop at the last address we can vouch for
    client = hops[i];
    if (!isTrusted(trusted, client)) break;
  }
  return client;
}
