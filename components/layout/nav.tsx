import Link from "next/link";
import type { SessionUser } from "@/lib/auth/session";
import { roleLabels } from "@/lib/validation/registration";
import { NavMenu } from "./nav-menu";
import { SignOutButton } from "./sign-out-button";

type NavLink = { href: string; label: string };

/** Navigation shaped by role: people see only the places they may go. */
function linksFor(user: SessionUser | null): NavLink[] {
  const common: NavLink[] = [{ href: "/benchmarks", label: "Benchmarks" }];
  if (!user || user.status !== "APPROVED") return common;
  common.unshift({ href: "/keys", label: "My keys" });
  switch (user.role) {
    case "HOSPITAL_STAFF":
      return [{ href: "/hospital", label: "My hospital" }, ...common];
    case "RESEARCHER":
      return [{ href: "/research", label: "Research" }, ...common];
    case "AUTHORITY_ADMIN":
      return [
        { href: "/admin", label: "Registrations" },
        { href: "/admin/people", label: "People" },
        { href: "/admin/attributes", label: "Attributes" },
        { href: "/admin/requests", label: "Requests" },
        { href: "/admin/clustering", label: "Clustering" },
        { href: "/admin/audit", label: "Audit ledger" },
        ...common,
      ];
  }
}

export function Nav({ user }: { user: SessionUser | null }) {
  return (
    <header className="border-b border-slate-200 bg-white">
      <nav aria-label="Main" className="mx-auto flex max-w-6xl flex-wrap items-center gap-x-6 gap-y-3 px-4 py-3 sm:px-6">
        <Link href="/" className="text-lg font-semibold text-brand-700">
          MedShare
        </Link>
        <NavMenu>
          <ul className="flex flex-col gap-3 text-sm lg:flex-1 lg:flex-row lg:gap-4">
            {linksFor(user).map((l) => (
              <li key={l.href}>
                <Link href={l.href} className="whitespace-nowrap text-slate-700 hover:text-brand-700">
                  {l.label}
                </Link>
              </li>
            ))}
          </ul>
          {user ? (
            <div className="flex items-center justify-between gap-3 text-sm lg:justify-end">
              <span className="min-w-0 leading-tight lg:max-w-56 lg:text-right">
                <span className="block truncate font-medium" data-testid="nav-user">
                  {user.name}
                </span>
                <span className="block truncate text-xs text-slate-600">
                  {roleLabels[user.role]} · {user.organisation.name}
                </span>
              </span>
              <SignOutButton />
            </div>
          ) : (
            <div className="flex gap-3 text-sm">
              <Link href="/login" className="text-slate-700 hover:text-brand-700">
                Sign in
              </Link>
              <Link href="/register" className="rounded-md bg-brand-600 px-3 py-1.5 text-white hover:bg-brand-700">
                Register
              </Link>
            </div>
          )}
        </NavMenu>
      </nav>
    </header>
  );
}
