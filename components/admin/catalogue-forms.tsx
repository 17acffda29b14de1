"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Field, TextInput } from "@/components/ui/field";
import { createAttributeAction } from "@/lib/actions/authority/create-attribute";
import { createAuthorityAction } from "@/lib/actions/authority/create-authority";
import type { ActionError } from "@/lib/errors";
import { reach } from "@/lib/actions/reach";

/** `services`: the attribute authority services the portal knows (MEDSHARE_AA_URLS); the new namespace's master secrets live at the one chosen. */
export function CreateAuthorityForm({ services }: { services: string[] }) {
  const router = useRouter();
  const [error, setError] = useState<ActionError | null>(null);
  const [busy, setBusy] = useState(false);
  const fe = error?.fieldErrors ?? {};
  return (
    <form
      className="space-y-3"
      onSubmit={async (e) => {
        e.preventDefault();
        const form = e.currentTarget;
        const data = new FormData(form);
        setBusy(true);
        const r = await reach(createAuthorityAction)({
          code: String(data.get("code")),
          name: String(data.get("name")),
          description: String(data.get("description") ?? ""),
          service: String(data.get("service") ?? "") || undefined,
        });
        setBusy(false);
        if (!r.ok) return setError(r.error);
        setError(null);
        form.reset();
        router.refresh();
      }}
    >
      <h2 className="font-semibold">New attribute authority</h2>
      {error && !error.fieldErrors && <Alert tone="error">{error.message}</Alert>}
      <Field id="authority-code" label="Code" hint="The namespace of its attributes, e.g. HA1 in HA1.cardiology." error={fe.code}>
        <TextInput id="authority-code" name="code" invalid={Boolean(fe.code)} />
      </Field>
      <Field id="authority-name" label="Name" error={fe.name}>
        <TextInput id="authority-name" name="name" invalid={Boolean(fe.name)} placeholder="Hospital Authority 1" />
      </Field>
      <Field id="authority-description" label="Description (optional)">
        <TextInput id="authority-description" name="description" />
      </Field>
      <Field
        id="authority-service"
        label="Run by"
        hint="The attribute authority service that makes and keeps this namespace's master secrets and issues its keys. Its operator alone could issue itself these keys."
        error={fe.service}
      >
        <select id="authority-service" name="service" className="block w-full rounded-md border border-slate-300 px-3 py-2 text-sm">
          <option value="">The service named like the code, else {services[0] ?? "the first"}</option>
          {services.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </Field>
      <Button type="submit" disabled={busy}>
        {busy ? "Creating…" : "Create authority"}
      </Button>
    </form>
  );
}

export function CreateAttributeForm({ authorities }: { authorities: Array<{ id: string; code: string; name: string }> }) {
  const router = useRouter();
  const [error, setError] = useState<ActionError | null>(null);
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<string | null>(null);
  const fe = error?.fieldErrors ?? {};
  if (authorities.length === 0) return <p className="text-sm text-slate-600">Create an attribute authority first.</p>;
  return (
    <form
      className="space-y-3"
      onSubmit={async (e) => {
        e.preventDefault();
        const form = e.currentTarget;
        const data = new FormData(form);
        setBusy(true);
        setCreated(null);
        const r = await reach(createAttributeAction)({
          authorityId: String(data.get("authorityId")),
          localName: String(data.get("localName")),
          description: String(data.get("description") ?? ""),
        });
        setBusy(false);
        if (!r.ok) return setError(r.error);
        setError(null);
        setCreated(r.data.name);
        form.reset();
        router.refresh();
      }}
    >
      <h2 className="font-semibold">New attribute</h2>
      <p className="text-xs text-slate-600">
        Creating an attribute has its authority&apos;s service run the setup: fresh master secrets, kept there under its own key, and a public verification key
        published here.
      </p>
      {error && !error.fieldErrors && <Alert tone="error">{error.message}</Alert>}
      {created && <Alert tone="success">Attribute {created} is ready.</Alert>}
      <Field id="attribute-authority" label="Authority">
        <select id="attribute-authority" name="authorityId" className="block w-full rounded-md border border-slate-300 px-3 py-2 text-sm">
          {authorities.map((a) => (
            <option key={a.id} value={a.id}>
              {a.code} — {a.name}
            </option>
          ))}
        </select>
      </Field>
      <Field id="attribute-name" label="Attribute name" hint="e.g. cardiology, researcher, oncology" error={fe.localName}>
        <TextInput id="attribute-name" name="localName" invalid={Boolean(fe.localName)} />
      </Field>
      <Field id="attribute-description" label="Description (optional)">
        <TextInput id="attribute-description" name="description" />
      </Field>
      <Button type="submit" disabled={busy}>
        {busy ? "Running setup…" : "Create attribute"}
      </Button>
    </form>
  );
}
