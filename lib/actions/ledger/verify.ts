"use server";

import { z } from "zod";
import { defineAction } from "@/lib/actions/safe-action";
import { db } from "@/lib/db/client";
import { verifyChain } from "@/lib/ledger/verify";

/** Authority admins re-compute the audit hash chain and see the first broken link, if any. */
export const verifyLedgerAction = defineAction({ roles: ["AUTHORITY_ADMIN"] }, z.object({}), async () => verifyChain(db()));
