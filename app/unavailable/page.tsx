import Link from "next/link";

export const metadata = { title: "Temporarily unavailable" };

/** Where pages send people while the database is unreachable (lib/auth/page-guard.ts). */
export default function UnavailablePage() {
  return (
    <div className="mx-auto max-w-md">
      <h1 className="mb-2 text-2xl font-semibold">MedShare is temporarily unavailable</h1>
      <p className="mb-4 text-sm text-slate-600">MedShare cannot reach its database right now. Nothing was changed. Please try again in a minute.</p>
      <Link href="/home" className="font-medium text-brand-700 underline">
        Try again
      </Link>
    </div>
  );
}
