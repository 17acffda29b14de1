import { getConsistency } from "@/lib/ledger/public-log";

export const dynamic = "force-dynamic";

/** ?first=&second=: RFC 9162 consistency proof between two sizes of this party's log (public). */
export function GET(req: Request) {
  return getConsistency(req);
}
