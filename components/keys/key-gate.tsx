"use client";

import Link from "next/link";
import { useState, type ReactNode } from "react";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Field, TextInput } from "@/components/ui/field";
import type { KeystoreContents } from "@/lib/keystore/sealed";
import { useKeyStore, type KeyMaterial } from "./use-key-store";

/**
 * Shows `children` once the person's key store is unlocked in this browser; asks for the key
 * passphrase first, or points to "My keys" when this browser has no key store.
 */
export function KeyGate({
  gid,
  initial,
  purpose,
  children,
}: {
  gid: string;
  initial: KeyMaterial;
  purpose: string;
  children: (contents: KeystoreContents) => ReactNode;
}) {
  const ks = useKeyStore(gid, initial);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  if (ks.sealed === undefined)
    return (
      <p role="status" className="text-sm text-slate-500">
        Looking for your key store…
      </p>
    );
  if (!ks.sealed)
    return (
      <Alert tone="warning" title="No key store in this browser">
        {purpose} needs your attribute keys. Set them up or import your backup on{" "}
        <Link className="underline" href="/keys">
          My keys
        </Link>
        .
      </Alert>
    );
  if (!ks.unlocked)
    return (
      <form
        aria-label="Unlock keys"
        className="max-w-md space-y-3"
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setError(null);
          try {
            await ks.unlock(ks.sealed!, String(new FormData(e.currentTarget).get("passphrase") ?? ""));
          } catch (err) {
            setError((err as Error).message);
          } finally {
            setBusy(false);
          }
        }}
      >
        <p className="text-sm text-slate-600">{purpose} needs your attribute keys. Unlock them with your key passphrase; it never leaves this browser.</p>
        {error && <Alert tone="error">{error}</Alert>}
        <Field id="gate-passphrase" label="Key passphrase">
          <TextInput id="gate-passphrase" name="passphrase" type="password" autoComplete="off" required />
        </Field>
        <Button type="submit" disabled={busy}>
          {busy ? "Unlocking…" : "Unlock keys"}
        </Button>
      </form>
    );
  return <>{children(ks.unlocked.contents)}</>;
}
