"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Field, TextInput } from "@/components/ui/field";
import { signInWithPassword } from "@/lib/auth/sign-in-browser";
import { safeNextPath } from "@/lib/http/safe-next";

export function LoginForm({ next }: { next?: string }) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // Controlled, so the address survives a refused try (a form action resets uncontrolled fields).
  const [email, setEmail] = useState("");

  async function onSubmit(form: FormData) {
    setBusy(true);
    setError(null);
    const result = await signInWithPassword(String(form.get("email") ?? ""), String(form.get("password") ?? ""));
    setBusy(false);
    if (!result.ok) {
      setError(result.error);
      return;
    }
    // Only same-site paths: never bounce a fresh session to another origin (checked again here
    // because this is where the navigation happens).
    router.push(safeNextPath(next) ?? "/home");
    router.refresh();
  }

  return (
    <form action={onSubmit} className="space-y-4" aria-describedby={error ? "login-error" : undefined}>
      {error && (
        <div id="login-error">
          <Alert tone="error" title="Could not sign in">
            {error}
          </Alert>
        </div>
      )}
      <Field id="email" label="E-mail">
        <TextInput id="email" name="email" type="email" autoComplete="username" required autoFocus value={email} onChange={(e) => setEmail(e.target.value)} />
      </Field>
      <Field id="password" label="Password">
        <TextInput id="password" name="password" type="password" autoComplete="current-password" required />
      </Field>
      <Button type="submit" disabled={busy} className="w-full">
        {busy ? "Signing in…" : "Sign in"}
      </Button>
    </form>
  );
}
