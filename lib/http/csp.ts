/**
 * The pages' Content-Security-Policy (set per request by proxy.ts). Scripts run only with this
 * response's nonce (and what they load: 'strict-dynamic'); 'wasm-unsafe-eval' lets the
 * lib/abe WebAssembly fast path compile, and nothing else is eval'd on a page. node-seal's
 * glue calls `new Function`: it runs only in Web Workers (components/upload/features.worker.ts),
 * whose script responses come from /_next/static and carry no policy of their own, so the
 * page's policy never needs 'unsafe-eval'. Pages may not be framed, post forms elsewhere or
 * load plugins.
 */
export function contentSecurityPolicy(nonce: string, dev = false): string {
  return [
    "default-src 'self'",
    // React's dev build evaluates source maps with eval; production never does.
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic' 'wasm-unsafe-eval'${dev ? " 'unsafe-eval'" : ""}`,
    // Charts (recharts) and Next's own style tags set inline styles; scripts are the XSS risk.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    `connect-src 'self'${dev ? " ws:" : ""}`,
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
  ].join("; ");
}

/** A fresh, unguessable nonce per response (16 random bytes, base64). */
export function newNonce(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return btoa(String.fromCharCode(...bytes));
}
