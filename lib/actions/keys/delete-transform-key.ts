"use server";

import { z } from "zod";
import { defineAction } from "@/lib/actions/safe-action";
import { deleteMyTransformKey } from "@/lib/authority/transform";
import { ALL_ROLES } from "@/lib/auth/roles";

export const deleteTransformKeyAction = defineAction({ roles: ALL_ROLES }, z.object({}), (_input, { user }) => deleteMyTransformKey(user.id));
