"use client";

import Link from "next/link";
import { useState } from "react";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Field, TextInput } from "@/components/ui/field";
import { registerAction } from "@/lib/actions/registration/register";
import { saveSealed } from "@/lib/keystore/idb";
import { newKeystore } from "@/lib/keystore/operations";
import { sealKeystore } from "@/lib/keystore/sealed";
import type { ActionError } from "@/lib/errors";
import { keyPassphraseProblem } from "@/lib/validation/passphrase";
import { ROLES, roleLabels, roleOrgKind } from "@/lib/validation/registration";

type Org = { id: string; name: string; kind: "HOSPITAL" | "INSTITUTE" | "AUTHORITY" };
type Role = (typeof ROLES)[number];

const kindLabel = { HOSPITAL: "hospital", INSTITUTE: "medical institute", AUTHORITY: "hospital authority" } as const;

export function RegisterForm({ organisations, setupToken }: { organisations: Org[]; setupToken?: string }) {
  const [role, setRole] = useState<Role>(setupToken ? "AUTHORITY_ADMIN" : "HOSPITAL_STAFF");
  const [orgMode, setOrgMode] = useState<"existing" | "new">("existing");
  const [error, setError] = useState<ActionError | null>(null);
  const [done, setDone] = useState<"PENDING" | "APPROVED" | null>(null);
  const [busy, setBusy] = useState(false);

  const kind = roleOrgKind[role];
  const matchingOrgs = organisations.filter((o) => o.kind === kind);
  const mode = matchingOrgs.length === 0 ? "new" : orgMode;
  const fe = error?.fieldErrors ?? {};

  async function onSubmit(form: FormData) {
    setError(null);
    const passphrase = String(form.get("keyPassphrase") ?? "");
    const problem =
      keyPassphraseProblem(passphrase) ??
      (passphrase === String(form.get("password") ?? "") ? "Use a key passphrase different from your password." : null);
    if (problem || passphrase !== String(form.get("keyPassphrase2") ?? "")) {
      setError({
        code: "VALIDATION",
        message: "Check your key passphrase.",
        fieldErrors: { keyPassphrase: [problem ?? "The two entries differ."] },
      });
      return;
    }
    setBusy(true);
    // The key-wrapping pair is made here, in the browser; only its public half is sent.
    const gid = String(form.get("gid") ?? "").trim();
    const contents = newKeystore(gid);
    const sealed = await sealKeystore(contents, passphrase);
    const result = await registerAction({
      wrapPublicKey: contents.wrapPublicKey,
      name: String(form.get("name") ?? ""),
      email: String(form.get("email") ?? ""),
      password: String(form.get("password") ?? ""),
      gid: String(form.get("gid") ?? ""),
      role,
      organisationId: mode === "existing" ? String(form.get("organisationId") ?? "") || undefined : undefined,
      newOrganisationName: mode === "new" ? String(form.get("newOrganisationName") ?? "") : undefined,
      setupToken: setupToken || undefined,
    });
    if (result.ok) {
      await saveSealed(sealed);
      setDone(result.data.status);
    } else setError(result.error);
    setBusy(false);
  }

  if (done)
    return (
      <Alert tone="success" title={done === "APPROVED" ? "Your admin account is ready" : "Registration received"}>
        {done === "APPROVED" ? (
          <>You are the first authority admin. <Link className="underline" href="/login">Sign in</Link> to approve others.</>
        ) : (
          <>
            The hospital authority will review it. You can <Link className="underline" href="/login">sign in</Link> now to see
            its status; your role&apos;s pages open once an admin approves you.
          </>
        )}
      </Alert>
    );

  return (
    <form action={onSubmit} className="space-y-5" noValidate>
      {error && <Alert tone="error" title="Registration not sent">{error.message}</Alert>}
      <fieldset className="space-y-2">
        <legend className="text-sm font-medium text-slate-800">I am registering as</legend>
        <div className="grid grid-cols-1 gap-2 sm:grid-cols-3">
          {ROLES.filter((r) => (setupToken ? r === "AUTHORITY_ADMIN" : true)).map((r) => (
            <label key={r} className={`flex cursor-pointer items-center gap-2 rounded-md border px-3 py-2 text-sm ${role === r ? "border-brand-600 bg-brand-50" : "border-slate-300"}`}>
              <input type="radio" name="role" value={r} checked={role === r} onChange={() => setRole(r)} />
              {roleLabels[r]}
            </label>
          ))}
        </div>
      </fieldset>

      <fieldset className="space-y-2">
        <legend className="text-sm font-medium text-slate-800">Organisation ({kindLabel[kind]})</legend>
        {matchingOrgs.length > 0 && (
          <div className="flex gap-4 text-sm">
            <label className="flex items-center gap-2">
              <input type="radio" name="orgMode" checked={mode === "existing"} onChange={() => setOrgMode("existing")} /> Existing
            </label>
            <label className="flex items-center gap-2">
              <input type="radio" name="orgMode" checked={mode === "new"} onChange={() => setOrgMode("new")} /> New {kindLabel[kind]}
            </label>
          </div>
        )}
        {mode === "existing" ? (
          <Field id="organisationId" label="Choose your organisation" error={fe.organisationId ?? fe.organisation}>
            <select id="organisationId" name="organisationId" className="block w-full rounded-md border border-slate-300 px-3 py-2 text-sm">
              {matchingOrgs.map((o) => (
                <option key={o.id} value={o.id}>{o.name}</option>
              ))}
            </select>
          </Field>
        ) : (
          <Field id="newOrganisationName" label={`Name of the new ${kindLabel[kind]}`} error={fe.newOrganisationName ?? fe.organisation}>
            <TextInput id="newOrganisationName" name="newOrganisationName" invalid={Boolean(fe.newOrganisationName)} placeholder="e.g. St. Mary's General Hospital" />
          </Field>
        )}
      </fieldset>

      <Field id="name" label="Full name" error={fe.name}>
        <TextInput id="name" name="name" autoComplete="name" invalid={Boolean(fe.name)} />
      </Field>
      <Field id="email" label="Work e-mail" error={fe.email}>
        <TextInput id="email" name="email" type="email" autoComplete="email" invalid={Boolean(fe.email)} />
      </Field>
      <Field id="gid" label="Global identifier (GID)" error={fe.gid}
        hint="Your attribute keys are bound to this identifier; it cannot change later. Example: dr.ada.lovelace@stmarys">
        <TextInput id="gid" name="gid" invalid={Boolean(fe.gid)} />
      </Field>
      <Field id="password" label="Password" hint="At least 12 characters." error={fe.password}>
        <TextInput id="password" name="password" type="password" autoComplete="new-password" invalid={Boolean(fe.password)} />
      </Field>
      <fieldset className="space-y-3 rounded-md border border-slate-200 p-4">
        <legend className="px-1 text-sm font-medium text-slate-800">Key passphrase</legend>
        <p className="text-xs text-slate-600">
          Your attribute keys will be kept in this browser, encrypted under this passphrase. The server never sees it
          and cannot recover it: keep it safe, and export a key backup once your keys arrive.
        </p>
        <Field id="keyPassphrase" label="Key passphrase" hint="At least 12 characters, not a common password (a few unrelated words work well); different from your password." error={fe.keyPassphrase}>
          <TextInput id="keyPassphrase" name="keyPassphrase" type="password" autoComplete="off" invalid={Boolean(fe.keyPassphrase)} />
        </Field>
        <Field id="keyPassphrase2" label="Repeat key passphrase">
          <TextInput id="keyPassphrase2" name="keyPassphrase2" type="password" autoComplete="off" />
        </Field>
      </fieldset>
      <Button type="submit" disabled={busy} className="w-full">{busy ? "Sending…" : "Register"}</Button>
    </form>
  );
}
