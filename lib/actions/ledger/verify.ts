"use server";

import { z } from "zod";
import { defineAction } from "@/lib/actions/safe-action";
import { verifyLedger } from "@/lib/ledger/verify";

/**
 * Authority admins re-compute the audit hash chain, check it against the signed checkpoints kept
 * outside the database, and see the first problem, if any (a clean run writes a new checkpoint).
 */
export const verifyLedgerAction = defineAction({ roles: ["AUTHORITY_ADMIN"] }, z.object({}), () => verifyLedger());
