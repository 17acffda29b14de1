import { getSignedHead } from "@/lib/ledger/public-log";

export const dynamic = "force-dynamic";

/** This party's log's signed tree head (public; lib/ledger/public-log.ts). */
export function GET() {
  return getSignedHead();
}
