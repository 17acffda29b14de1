import { z } from "./zod";
import { noNul } from "./upload";

/** The hospital's settings for owner decisions (issue #15): the default for new uploads and its terms of use. */
export const orgSettingsSchema = z
  .object({
    decisionMode: z.enum(["automatic", "hospital"]),
    approverId: z.uuid().optional(),
    reviewerId: z.uuid().optional(),
    terms: z.string().trim().max(5000, "At most 5,000 characters.").refine(noNul, "Must not contain NUL characters."),
  })
  .refine((v) => v.decisionMode === "automatic" || Boolean(v.approverId), { message: "Choose the approver who decides requests.", path: ["approverId"] })
  .refine((v) => !v.reviewerId || v.reviewerId !== v.approverId, {
    message: "The second reviewer must be another person than the approver.",
    path: ["reviewerId"],
  });
