import type { IncomingHttpHeaders } from "node:http";

/**
 * Why a server-action body cannot be what Next's client sends, or null when it can. Next
 * answers 500 when it fails to decode one; this lets the gateway answer 400 instead.
 * Script-called actions post React's encodeReply string (JSON text) or multipart form data;
 * forms without script post multipart. Anything else is not an action call.
 */
export function malformedActionBody(headers: IncomingHttpHeaders, body: Buffer): string | null {
  const actionId = headers["next-action"];
  if (actionId !== undefined && !/^[0-9a-f]{16,128}$/i.test(String(actionId))) return "Malformed Next-Action header.";
  const type = String(headers["content-type"] ?? "").toLowerCase();
  if (type.startsWith("multipart/form-data")) return malformedMultipart(type, String(headers["content-type"]), body);
  if (actionId === undefined) return null;
  if (type.startsWith("application/x-www-form-urlencoded")) return null;
  let reply: unknown;
  try {
    reply = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body));
  } catch {
    return "Malformed server action body.";
  }
  return hasDanglingReference(reply) ? "Malformed server action body." : null;
}

/**
 * React's reply encoding marks special values with a leading "$" (a literal "$" is escaped
 * as "$$"). A plain-text body has no other parts, so only the self-contained markers can
 * appear; any other one points at a part that is not there and makes Next's decoder throw.
 */
const SELF_CONTAINED = /^\$(\$|undefined$|NaN$|Infinity$|-Infinity$|-0$|D|T|n-?\d)/;

function hasDanglingReference(value: unknown, depth = 0): boolean {
  if (depth > 64) return true;
  if (typeof value === "string") return value.startsWith("$") && !SELF_CONTAINED.test(value);
  if (Array.isArray(value)) return value.some((v) => hasDanglingReference(v, depth + 1));
  if (value && typeof value === "object") return Object.values(value).some((v) => hasDanglingReference(v, depth + 1));
  return false;
}

function malformedMultipart(lowerType: string, type: string, body: Buffer): string | null {
  const at = lowerType.indexOf("boundary=");
  if (at < 0) return "Multipart body without a boundary.";
  const boundary = type
    .slice(at + 9)
    .split(";")[0]
    .trim()
    .replace(/^"|"$/g, "");
  if (!boundary || boundary.length > 70) return "Malformed multipart boundary.";
  const text = body.toString("latin1");
  const opening = text.startsWith(`--${boundary}\r\n`);
  const closing = text.trimEnd().endsWith(`--${boundary}--`);
  if (!opening || !closing) return "Malformed multipart body.";
  // Each part needs its headers ended by an empty line.
  const parts = text.split(`--${boundary}`).slice(1, -1);
  if (parts.some((p) => !p.startsWith("\r\n") || !p.includes("\r\n\r\n") || !/content-disposition:\s*form-data/i.test(p))) return "Malformed multipart part.";
  return null;
}
