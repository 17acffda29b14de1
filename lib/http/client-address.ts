/**
 * The header the front gateway sets to the real client address (taken from the socket,
 * honouring forwarding headers only from MEDSHARE_TRUSTED_PROXIES). The gateway strips any copy
 * a client sends, and all X-Forwarded-* headers, so this is the one place the address comes from.
 */
export const CLIENT_ADDRESS_HEADER = "x-medshare-client-address";

type HeaderBag = Headers | Record<string, string | string[] | undefined>;

/**
 * The client's address as stated by the gateway, or "unknown". Never X-Forwarded-For or
 * X-Real-IP: those come from the client and would let anyone pick their own rate-limit bucket.
 */
export function clientAddress(headers: HeaderBag): string {
  const raw = headers instanceof Headers ? headers.get(CLIENT_ADDRESS_HEADER) : pick(headers, CLIENT_ADDRESS_HEADER);
  const value = raw?.trim();
  // An address is short and printable; anything else is not an address we will key on.
  if (!value || value.length > 64 || !/^[0-9A-Za-z:.%_-]+$/.test(value)) return "unknown";
  return value;
}

function pick(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const entry = Object.entries(headers).find(([k]) => k.toLowerCase() === name)?.[1];
  return Array.isArray(entry) ? entry[0] : entry;
}
