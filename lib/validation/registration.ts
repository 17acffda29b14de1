import { z } from "./zod";

export const ROLES = ["HOSPITAL_STAFF", "RESEARCHER", "AUTHORITY_ADMIN"] as const;
export const roleLabels: Record<(typeof ROLES)[number], string> = {
  HOSPITAL_STAFF: "Hospital staff",
  RESEARCHER: "Institute researcher",
  AUTHORITY_ADMIN: "Authority admin",
};
/** Which organisation kind each role belongs to. */
export const roleOrgKind = { HOSPITAL_STAFF: "HOSPITAL", RESEARCHER: "INSTITUTE", AUTHORITY_ADMIN: "AUTHORITY" } as const;

/** No NUL or other control characters: PostgreSQL refuses NUL in text, and none belongs in a name. */
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;
function plainText(what: string) {
  return z.string().refine((v) => !CONTROL_CHARS.test(v), `${what} contains a control character (such as a NUL byte); remove it.`);
}

export const passwordSchema = z.string().min(12, "Use at least 12 characters.").max(200, "Use at most 200 characters.");

/** A person's global identifier: the GID that attribute keys are bound to. */
export const gidSchema = z
  .string()
  .trim()
  .min(3, "The identifier needs at least 3 characters.")
  .max(64, "The identifier can have at most 64 characters.")
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:@-]*$/, "Use letters, digits and . _ : @ - only, starting with a letter or digit.");

export const registrationSchema = z
  .object({
    name: plainText("Your name").trim().min(2, "Enter your full name.").max(120),
    email: plainText("The e-mail address").pipe(z.email("Enter a valid e-mail address.").trim().toLowerCase().max(200)),
    password: passwordSchema,
    gid: gidSchema,
    role: z.enum(ROLES, "Choose the role you are asking for."),
    organisationId: z.uuid().optional(),
    newOrganisationName: plainText("The organisation's name").trim().max(120).optional(),
    setupToken: plainText("The setup link").trim().max(200).optional(),
    /** X25519 public key made by the applicant's browser (base64, 32 bytes); keys get wrapped to it. */
    wrapPublicKey: z
      .string()
      .regex(/^[A-Za-z0-9+/]{43}=$/, "The browser's key-wrapping public key is malformed.")
      .optional(),
  })
  .refine((v) => Boolean(v.organisationId) !== Boolean(v.newOrganisationName?.length), {
    message: "Choose an existing organisation or name a new one (not both).",
    path: ["organisation"],
  })
  .refine((v) => !v.newOrganisationName || v.newOrganisationName.length >= 3, {
    message: "The organisation's name needs at least 3 characters.",
    path: ["newOrganisationName"],
  });
export type RegistrationInput = z.input<typeof registrationSchema>;

export const decisionSchema = z.discriminatedUnion("decision", [
  z.object({ userId: z.uuid(), decision: z.literal("APPROVE"), attributeIds: z.array(z.uuid()).max(64).default([]) }),
  z.object({
    userId: z.uuid(),
    decision: z.literal("REJECT"),
    reason: z.string().trim().min(3, "Give the applicant a reason (at least 3 characters).").max(500),
  }),
]);
