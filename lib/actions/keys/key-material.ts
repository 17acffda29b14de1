"use server";

import { z } from "zod";
import { defineAction } from "@/lib/actions/safe-action";
import { myKeyMaterial } from "@/lib/authority/keys";
import { ALL_ROLES } from "@/lib/auth/roles";

/** The signed-in person's own wrapped keys, grants and transform-key status. */
export const keyMaterialAction = defineAction({ roles: ALL_ROLES }, z.object({}), (_input, { user }) => myKeyMaterial(user.id));
