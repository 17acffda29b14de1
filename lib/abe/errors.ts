/**
 * Typed errors of the ABE-OD library.
 *
 * Every failure that callers may want to tell apart carries a stable `code`. Decoders throw
 * nothing but `AbeError` (foreign exceptions from @noble are wrapped), so callers can map codes
 * to user-facing messages in one place.
 *
 * Exports: AbeError, AbeErrorCode, isAbeError, wrapForeign.
 */

export type AbeErrorCode =
  // Decoding: malformed input bytes.
  | "DECODE_LENGTH" // wrong total or field length, truncated input, trailing bytes
  | "DECODE_FORMAT" // structurally invalid: bad UTF-8, bad count, bad flag byte
  | "DECODE_VERSION" // bad magic or unsupported format version
  | "DECODE_TYPE" // object type byte does not match what the caller asked for
  | "DECODE_POINT" // not a canonical encoding of a point on the curve / of a field element
  | "DECODE_SUBGROUP" // on the curve (or in Fp12*) but outside the prime-order subgroup
  | "DECODE_IDENTITY" // identity element where it is not allowed
  | "DECODE_SCALAR" // scalar not canonical (>= r) or zero where not allowed
  // Protocol failures.
  | "INTEGRITY" // public ciphertext integrity check or Fujisaki-Okamoto re-derivation failed
  | "DECRYPT" // the recovered key does not open the envelope (wrong keys, collusion attempt)
  | "POLICY_UNSATISFIED" // the attribute set does not satisfy the policy
  | "POLICY_INVALID" // the policy text does not parse / compile
  | "MISSING_KEY" // a verification key or user key needed for an attribute is absent
  | "OUTSOURCED_VERIFY" // the CSP's partial decryption (or the user's z) is wrong
  | "UNWRAP" // key unwrapping failed: wrong recipient, wrong context, corrupted bytes
  | "RECORD" // a batch record does not open or is not committed to by the envelope
  | "INVALID_ARGUMENT"; // programming error: caller passed something unusable

export class AbeError extends Error {
  readonly code: AbeErrorCode;
  /** Extra machine-readable detail, e.g. the missing attributes for POLICY_UNSATISFIED. */
  readonly detail?: unknown;

  constructor(code: AbeErrorCode, message: string, detail?: unknown) {
    super(`${code}: ${message}`);
    this.name = "AbeError";
    this.code = code;
    this.detail = detail;
  }
}

export function isAbeError(e: unknown, code?: AbeErrorCode): e is AbeError {
  return e instanceof AbeError && (code === undefined || e.code === code);
}

/** Run `f`, turning any non-AbeError exception into an AbeError with `code`. */
export function wrapForeign<T>(code: AbeErrorCode, message: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof AbeError) throw e;
    const why = e instanceof Error ? e.message : String(e);
    throw new AbeError(code, `${message} (${why})`);
  }
}
