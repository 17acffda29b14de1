"use client";

import Link from "next/link";
import { useState, type FormEvent } from "react";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Field, TextInput } from "@/components/ui/field";
import { registerAction } from "@/lib/actions/registration/register";
import { saveSealed } from "@/lib/keystore/idb";
import { newKeystore } from "@/lib/keystore/operations";
import { sealKeystore } from "@/lib/keystore/sealed";
import type { ActionError } from "@/lib/errors";
import { keyPassphraseProblem } from "@/lib/validation/passphrase";
import { registrationSchema, ROLES, roleLabels, roleOrgKind } from "@/lib/validation/registration";
import { reach } from "@/lib/actions/reach";

type Org = { id: string; name: string; kind: "HOSPITAL" | "INSTITUTE" | "AUTHORITY" };
type Role = (typeof ROLES)[number];

const kindLabel = { HOSPITAL: "hospital", INSTITUTE: "medical institute", AUTHORITY: "hospital authority" } as const;

type Values = {
  organisationId: string;
  newOrganisationName: string;
  name: string;
  email: string;
  gid: string;
  password: string;
  keyPassphrase: string;
  keyPassphrase2: string;
};
const EMPTY: Values = { organisationId: "", newOrganisationName: "", name: "", email: "", gid: "", password: "", keyPassphrase: "", keyPassphrase2: "" };

/** The labels the summary names when fields are missing, in the form's order. */
const LABELS: Record<string, string> = {
  organisationId: "organisation",
  newOrganisationName: "organisation name",
  name: "full name",
  email: "work e-mail",
  gid: "global identifier (GID)",
  password: "password",
  keyPassphrase: "key passphrase",
  keyPassphrase2: "repeated key passphrase",
};

/**
 * Everything this browser can check before sending: every empty field is named at once, and
 * the shared zod schema gives the same messages the server would.
 */
function checkLocally(v: Values, role: Role, mode: "existing" | "new"): { missing: string[]; fieldErrors: Record<string, string[]> } {
  const fieldErrors: Record<string, string[]> = {};
  const missing: string[] = [];
  const need = (key: keyof Values, message: string) => {
    if (v[key].trim() === "") {
      missing.push(key);
      fieldErrors[key] = [message];
    }
  };
  if (mode === "existing") need("organisationId", "Choose your organisation from the list.");
  else need("newOrganisationName", "Enter the name of your organisation.");
  need("name", "Enter your full name.");
  need("email", "Enter your work e-mail address.");
  need("gid", "Choose a global identifier.");
  need("password", "Choose a password.");
  need("keyPassphrase", "Choose a key passphrase.");
  need("keyPassphrase2", "Repeat the key passphrase.");
  const parsed = registrationSchema.safeParse({
    name: v.name,
    email: v.email,
    password: v.password,
    gid: v.gid,
    role,
    organisationId: mode === "existing" ? v.organisationId || undefined : undefined,
    newOrganisationName: mode === "new" ? v.newOrganisationName || undefined : undefined,
  });
  if (!parsed.success)
    for (const issue of parsed.error.issues) {
      const key = String(issue.path[0] ?? "");
      if (key in EMPTY && !fieldErrors[key]) fieldErrors[key] = [issue.message];
    }
  if (!fieldErrors.keyPassphrase && v.keyPassphrase) {
    const problem = keyPassphraseProblem(v.keyPassphrase) ?? (v.keyPassphrase === v.password ? "Use a key passphrase different from your password." : null);
    if (problem) fieldErrors.keyPassphrase = [problem];
  }
  if (!fieldErrors.keyPassphrase2 && v.keyPassphrase2 && v.keyPassphrase2 !== v.keyPassphrase) fieldErrors.keyPassphrase2 = ["The two entries differ."];
  return { missing, fieldErrors };
}

export function RegisterForm({ organisations, setupToken }: { organisations: Org[]; setupToken?: string }) {
  const [role, setRole] = useState<Role>(setupToken ? "AUTHORITY_ADMIN" : "HOSPITAL_STAFF");
  const [orgMode, setOrgMode] = useState<"existing" | "new">("existing");
  const [values, setValues] = useState<Values>(EMPTY);
  const [error, setError] = useState<ActionError | null>(null);
  const [done, setDone] = useState<"PENDING" | "APPROVED" | null>(null);
  const [busy, setBusy] = useState(false);

  const kind = roleOrgKind[role];
  const matchingOrgs = organisations.filter((o) => o.kind === kind);
  const mode = matchingOrgs.length === 0 ? "new" : orgMode;
  const fe = error?.fieldErrors ?? {};

  /** Changing a value clears that field's error (and the organisation-wide one with either organisation field). */
  function set(key: keyof Values, value: string) {
    setValues((v) => ({ ...v, [key]: value }));
    setError((e) => {
      if (!e?.fieldErrors) return e;
      const rest = { ...e.fieldErrors };
      delete rest[key];
      if (key === "organisationId" || key === "newOrganisationName") delete rest.organisation;
      if (key === "keyPassphrase") delete rest.keyPassphrase2;
      return { ...e, fieldErrors: rest };
    });
  }
  const bind = (key: keyof Values) => ({
    id: key,
    name: key,
    value: values[key],
    invalid: Boolean(fe[key]),
    "aria-describedby": fe[key] ? `${key}-error` : undefined,
    onChange: (e: { target: { value: string } }) => set(key, e.target.value),
  });

  async function onSubmit(e: FormEvent<HTMLFormElement>) {
    // Not a form action: React resets a form after its action runs, which wiped every field on a server error.
    e.preventDefault();
    if (busy) return;
    const local = checkLocally(values, role, mode);
    if (Object.keys(local.fieldErrors).length > 0) {
      const names = local.missing.map((k) => LABELS[k]);
      setError({
        code: "VALIDATION",
        message: names.length
          ? `Fill in ${names.length === 1 ? "the" : "these"} missing field${names.length === 1 ? "" : "s"}: ${names.join(", ")}.`
          : "Some fields need attention: see the messages below them.",
        fieldErrors: local.fieldErrors,
      });
      return;
    }
    setError(null);
    setBusy(true);
    try {
      // The key-wrapping pair is made here, in the browser; only its public half is sent.
      const contents = newKeystore(values.gid.trim());
      const sealed = await sealKeystore(contents, values.keyPassphrase);
      const result = await reach(registerAction)({
        wrapPublicKey: contents.wrapPublicKey,
        name: values.name,
        email: values.email,
        password: values.password,
        gid: values.gid,
        role,
        organisationId: mode === "existing" ? values.organisationId || undefined : undefined,
        newOrganisationName: mode === "new" ? values.newOrganisationName : undefined,
        setupToken: setupToken || undefined,
      });
      if (result.ok) {
        await saveSealed(sealed);
        setDone(result.data.status);
      } else
        setError({
          ...result.error,
          message: result.error.fieldErrors ? `${result.error.message} Nothing was saved; your entries are kept below.` : result.error.message,
        });
    } catch {
      setError({ code: "INTERNAL", message: "The registration could not be sent. Your entries are kept; please try again." });
    } finally {
      setBusy(false);
    }
  }

  if (done)
    return (
      <Alert tone="success" title={done === "APPROVED" ? "Your admin account is ready" : "Registration received"}>
        {done === "APPROVED" ? (
          <>
            You are the first authority admin.{" "}
            <Link className="underline" href="/login">
              Sign in
            </Link>{" "}
            to approve others.
          </>
        ) : (
          <>
            The hospital authority will review it. You can{" "}
            <Link className="underline" href="/login">
              sign in
            </Link>{" "}
            now to see its status; your role&apos;s pages open once an admin approves you.
          </>
        )}
      </Alert>
    );

  return (
    <form onSubmit={onSubmit} className="space-y-5" noValidate aria-label="Registration">
      {error && (
        <Alert tone="error" title="Registration not sent">
          {error.message}
        </Alert>
      )}
      <fieldset className="space-y-2">
        <legend className="text-sm font-medium text-slate-800">I am registering as</legend>
        <div className="grid grid-cols-1 gap-2 sm:grid-cols-3">
          {ROLES.filter((r) => (setupToken ? r === "AUTHORITY_ADMIN" : true)).map((r) => (
            <label
              key={r}
              className={`flex cursor-pointer items-center gap-2 rounded-md border px-3 py-2 text-sm ${role === r ? "border-brand-600 bg-brand-50" : "border-slate-300"}`}
            >
              <input
                type="radio"
                name="role"
                value={r}
                checked={role === r}
                onChange={() => {
                  setRole(r);
                  set("organisationId", "");
                }}
              />
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
          <Field id="organisationId" label="Your organisation" error={fe.organisationId ?? fe.organisation}>
            <select
              id="organisationId"
              name="organisationId"
              value={values.organisationId}
              onChange={(e) => set("organisationId", e.target.value)}
              aria-invalid={Boolean(fe.organisationId ?? fe.organisation) || undefined}
              aria-describedby={(fe.organisationId ?? fe.organisation) ? "organisationId-error" : undefined}
              className={`block w-full rounded-md border px-3 py-2 text-sm ${(fe.organisationId ?? fe.organisation) ? "border-red-500" : "border-slate-300"}`}
            >
              <option value="">Choose your organisation…</option>
              {matchingOrgs.map((o) => (
                <option key={o.id} value={o.id}>
                  {o.name}
                </option>
              ))}
            </select>
          </Field>
        ) : (
          <Field id="newOrganisationName" label={`Name of the new ${kindLabel[kind]}`} error={fe.newOrganisationName ?? fe.organisation}>
            <TextInput
              {...bind("newOrganisationName")}
              invalid={Boolean(fe.newOrganisationName ?? fe.organisation)}
              placeholder="e.g. St. Mary's General Hospital"
            />
          </Field>
        )}
      </fieldset>

      <Field id="name" label="Full name" error={fe.name}>
        <TextInput {...bind("name")} autoComplete="name" />
      </Field>
      <Field id="email" label="Work e-mail" error={fe.email}>
        <TextInput {...bind("email")} type="email" autoComplete="email" />
      </Field>
      <Field
        id="gid"
        label="Global identifier (GID)"
        error={fe.gid}
        hint="Your attribute keys are bound to this identifier; it cannot change later. Example: dr.ada.lovelace@stmarys"
      >
        <TextInput {...bind("gid")} />
      </Field>
      <Field id="password" label="Password" hint="At least 12 characters." error={fe.password}>
        <TextInput {...bind("password")} type="password" autoComplete="new-password" />
      </Field>
      <fieldset className="space-y-3 rounded-md border border-slate-200 p-4">
        <legend className="px-1 text-sm font-medium text-slate-800">Key passphrase</legend>
        <p className="text-xs text-slate-600">
          Your attribute keys will be kept in this browser, encrypted under this passphrase. The server never sees it and cannot recover it: keep it safe, and
          export a key backup once your keys arrive.
        </p>
        <Field
          id="keyPassphrase"
          label="Key passphrase"
          hint="At least 12 characters, not a common password (a few unrelated words work well); different from your password."
          error={fe.keyPassphrase}
        >
          <TextInput {...bind("keyPassphrase")} type="password" autoComplete="off" />
        </Field>
        <Field id="keyPassphrase2" label="Repeat key passphrase" error={fe.keyPassphrase2}>
          <TextInput {...bind("keyPassphrase2")} type="password" autoComplete="off" />
        </Field>
      </fieldset>
      <Button type="submit" disabled={busy} className="w-full">
        {busy ? "Sending…" : "Register"}
      </Button>
    </form>
  );
}
