import type { Metadata } from "next";
import Link from "next/link";

export const metadata: Metadata = { title: { absolute: "Page not found — MedShare" } };

export default function NotFound() {
  return (
    <div className="mx-auto max-w-xl">
      <h1 className="text-2xl font-semibold">Page not found</h1>
      <p className="mt-2 text-sm text-slate-600">
        There is no page at this address, or it moved.{" "}
        <Link href="/" className="underline">
          Go to the start page
        </Link>
        .
      </p>
    </div>
  );
}
