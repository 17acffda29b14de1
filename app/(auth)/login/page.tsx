import Link from "next/link";
import { redirect } from "next/navigation";
import { LoginForm } from "@/components/auth/login-form";
import { Card } from "@/components/ui/page-header";
import { pageSessionUser } from "@/lib/auth/page-guard";
import { safeNextPath } from "@/lib/http/safe-next";

export const metadata = { title: "Sign in" };

export default async function LoginPage({ searchParams }: { searchParams: Promise<{ next?: string }> }) {
  const { next: raw } = await searchParams;
  const next = safeNextPath(typeof raw === "string" ? raw : null) ?? undefined;
  if (await pageSessionUser()) redirect("/home");
  return (
    <div className="mx-auto max-w-md">
      <h1 className="mb-2 text-2xl font-semibold">Sign in to MedShare</h1>
      <p className="mb-6 text-sm text-slate-600">
        Hospital staff, institute researchers and authority admins sign in here. New here?{" "}
        <Link href="/register" className="font-medium text-brand-700 underline">
          Register your organisation
        </Link>
        .
      </p>
      <Card>
        <LoginForm next={next} />
      </Card>
    </div>
  );
}
