"use server";

import { defineAction } from "@/lib/actions/safe-action";
import { policyReaders } from "@/lib/portal/policy-readers";
import { policyTextSchema } from "@/lib/validation/upload";

/** Who can read a policy: how many approved people hold a satisfying set, which authorities could issue such keys. */
export const policyReadersAction = defineAction({ roles: ["HOSPITAL_STAFF"] }, policyTextSchema, (input) => policyReaders(input.policy));
