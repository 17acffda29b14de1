import { getInclusion } from "@/lib/ledger/public-log";

export const dynamic = "force-dynamic";

/** ?index=&size=: RFC 9162 inclusion proof of leaf `index` in the tree of `size` (public). */
export function GET(req: Request) {
  return getInclusion(req);
}
