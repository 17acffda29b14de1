import Link from "next/link";
import { Card } from "@/components/ui/page-header";

const parties = [
  { name: "Hospitals", text: "Encrypt patient records in the browser under an access policy, then upload the ciphertext." },
  { name: "Cloud service provider", text: "Stores and checks ciphertexts, clusters them without seeing them, and does the heavy part of decryption." },
  { name: "Hospital authority", text: "Approves organisations, issues attribute keys and verifies researchers' signatures before any decryption help." },
  { name: "Medical institutes", text: "Request clusters of records, prove their attributes, and finish decryption in their own browser." },
];

export default function Landing() {
  return (
    <div className="space-y-10">
      <section className="max-w-3xl">
        <h1 className="text-3xl font-semibold tracking-tight">Share medical records without trusting the cloud</h1>
        <p className="mt-3 text-slate-600">
          MedShare lets hospitals and medical institutes share patient records through a cloud that never sees them. Records are encrypted with attribute-based
          encryption before they leave the uploader&apos;s browser; only people whose attributes satisfy a record&apos;s policy can read it.
        </p>
        <div className="mt-6 flex gap-3">
          <Link href="/login" className="rounded-md bg-brand-600 px-4 py-2 text-sm font-medium text-white hover:bg-brand-700">
            Sign in
          </Link>
          <Link href="/register" className="rounded-md px-4 py-2 text-sm font-medium ring-1 ring-slate-300 hover:bg-white">
            Register
          </Link>
        </div>
      </section>
      <section aria-labelledby="parties" className="grid grid-cols-1 gap-4 sm:grid-cols-2">
        <h2 id="parties" className="sr-only">
          Who does what
        </h2>
        {parties.map((p) => (
          <Card key={p.name}>
            <h3 className="font-semibold text-brand-800">{p.name}</h3>
            <p className="mt-1 text-sm text-slate-600">{p.text}</p>
          </Card>
        ))}
      </section>
    </div>
  );
}
