/** Typed application errors; `userMessage` turns them into the words people see, in one place. */
export type AppErrorCode =
  | "UNAUTHENTICATED"
  | "NOT_APPROVED"
  | "FORBIDDEN"
  | "VALIDATION"
  | "NOT_FOUND"
  | "CONFLICT"
  | "INVALID_STATE"
  | "RATE_LIMITED"
  | "LOCKED"
  | "PAYLOAD_TOO_LARGE"
  | "UNAVAILABLE"
  | "INTERNAL";

export class AppError extends Error {
  constructor(
    readonly code: AppErrorCode,
    message?: string,
    readonly fieldErrors?: Record<string, string[]>,
  ) {
    super(message ?? defaultMessages[code]);
    this.name = "AppError";
  }
}

const defaultMessages: Record<AppErrorCode, string> = {
  UNAUTHENTICATED: "Please sign in first.",
  NOT_APPROVED: "Your registration is waiting for approval by the hospital authority.",
  FORBIDDEN: "Your role does not allow this.",
  VALIDATION: "Some fields need attention.",
  NOT_FOUND: "That item does not exist (or you may not see it).",
  CONFLICT: "That conflicts with something that already exists.",
  INVALID_STATE: "That can't be done in the item's current state.",
  RATE_LIMITED: "Too many attempts. Please wait a few minutes and try again.",
  LOCKED: "This account is locked after repeated failed sign-ins.",
  PAYLOAD_TOO_LARGE: "That is more data than this form or address accepts.",
  UNAVAILABLE: "MedShare cannot reach its database right now. Nothing was changed; please try again in a minute.",
  INTERNAL: "Something went wrong on our side. Nothing was changed; please try again.",
};

export type ActionError = { code: AppErrorCode; message: string; fieldErrors?: Record<string, string[]> };
export type ActionResult<T> = { ok: true; data: T } | { ok: false; error: ActionError };

/**
 * What may be logged of an unexpected error: its kind, its code when it is a plain identifier
 * (PostgreSQL's SQLSTATE, Prisma's P-codes, Node's E-codes) and where it was thrown (the first
 * stack frame: a function and a file position). Never its message, which may carry data.
 */
export function errorSummary(error: unknown): string {
  const name = (error as Error)?.name ?? typeof error;
  const code = (error as { code?: unknown })?.code;
  const codeText = typeof code === "string" && /^[A-Za-z0-9_]{1,32}$/.test(code) ? ` code ${code}` : "";
  const frame = typeof (error as Error)?.stack === "string" ? (error as Error).stack!.split("\n").find((line) => /^\s+at /.test(line)) : undefined;
  const where = frame && /^\s+at [\w$.<>\[\] ]*\(?[\w@:/\\.\-[\] ]+:\d+:\d+\)?$/.test(frame) ? ` ${frame.trim()}` : "";
  return `${name}${codeText}${where}`;
}

export function toActionError(error: unknown): ActionError {
  if (error instanceof AppError) return { code: error.code, message: error.message, fieldErrors: error.fieldErrors };
  // Never echo unknown errors: they may carry data. Log the kind, code and place only.
  console.error(`[medshare] unexpected error: ${errorSummary(error)}`);
  return { code: "INTERNAL", message: defaultMessages.INTERNAL };
}
