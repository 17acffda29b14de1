import { AppError } from "@/lib/errors";
import { KEY_HOLDER_UNREACHABLE, keyHolderPost, partsOf, type KeyHolderTarget } from "./kh-call";
import { evalKeysWire, runCalls, runTokenOp, type RunCall, type RunOrder } from "./run-kh-wire";
import { fromWireBody } from "./wire";
import type { z } from "zod";

/** The CSP's end of the standard protocol's calls (lib/parties/run-kh-wire.ts): begin, answer the last order, abort. */
export interface RunKeyHolderLink {
  begin(start: z.input<(typeof runCalls)["run-begin"]["request"]>): Promise<RunOrder>;
  answer(cts: Uint8Array[]): Promise<RunOrder>;
  abort(reason: string): Promise<void>;
}

/**
 * Over HTTP, to the authority's /api/key-holder/run-<call> (lib/parties/kh-call.ts: a token the CSP
 * signs for this run and call); an answer's ciphertexts go in parts of at most 7 MiB.
 */
export function runKeyHolderClient(target: KeyHolderTarget): RunKeyHolderLink {
  const call = (op: RunCall, input: unknown) => keyHolderPost(target, op, runTokenOp(op), input);
  let session = "";
  return {
    async begin(start) {
      const begun = runCalls["run-begin"].response.parse(await call("run-begin", start));
      session = begun.session;
      return begun.order;
    },
    async answer(cts) {
      let last: z.infer<(typeof runCalls)["run-answer"]["response"]> = { kind: "more" };
      for (const [a, b] of partsOf(cts)) last = runCalls["run-answer"].response.parse(await call("run-answer", { session, cts: cts.slice(a, b), first: a }));
      if (last.kind === "more") throw new AppError("CONFLICT", "The clustering key holder wanted more of the answer than the CSP made.");
      return last;
    },
    async abort(reason) {
      await call("run-abort", { session, reason: reason.slice(0, 500) });
    },
  };
}

/** A standard key pair's evaluation keys from the key holder (GET /api/key-holder/keys?id=…): public material for the CSP's evaluator. */
export async function fetchEvalKeys(url: string, keyId: string): Promise<z.infer<typeof evalKeysWire>> {
  let response: Response;
  try {
    response = await fetch(`${url.replace(/\/$/, "")}/api/key-holder/keys?id=${encodeURIComponent(keyId)}`, {
      cache: "no-store",
      signal: AbortSignal.timeout(60_000),
    });
  } catch {
    throw new AppError("UNAVAILABLE", KEY_HOLDER_UNREACHABLE);
  }
  if (!response.ok) throw new AppError("UNAVAILABLE", `The clustering key holder did not give the run's evaluation keys (${response.status}).`);
  const keys = evalKeysWire.parse(fromWireBody(new Uint8Array(await response.arrayBuffer()), response.headers.get("content-type")));
  if (keys.keyId !== keyId) throw new AppError("UNAVAILABLE", "The clustering key holder gave another key's evaluation keys.");
  return keys;
}
