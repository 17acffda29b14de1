"use server";

import { defineAction } from "@/lib/actions/safe-action";
import { register } from "@/lib/portal/registrations";
import { registrationSchema } from "@/lib/validation/registration";

/** Public: anyone may ask for an account; it stays PENDING until an authority admin decides. */
export const registerAction = defineAction({ public: true }, registrationSchema, async (input) => {
  const user = await register(input);
  return { status: user.status };
});
