import type { Role } from "@/lib/generated/prisma/enums";

export const ALL_ROLES: readonly Role[] = ["HOSPITAL_STAFF", "RESEARCHER", "AUTHORITY_ADMIN"];
