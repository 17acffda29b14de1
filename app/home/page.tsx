import { redirect } from "next/navigation";
import { pageSessionUser } from "@/lib/auth/page-guard";
import { roleHome } from "@/lib/auth/session";

/** Sends each person to their role's start page. */
export default async function HomeRedirect() {
  const user = await pageSessionUser();
  if (!user) redirect("/login");
  if (user.status !== "APPROVED") redirect("/pending");
  redirect(roleHome[user.role]);
}
