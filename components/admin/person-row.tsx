"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";
import { Button } from "@/components/ui/button";
import { ConfirmWithReason } from "@/components/ui/confirm-dialog";
import { notify } from "@/components/ui/notices";
import { grantAttributesAction } from "@/lib/actions/authority/grant-attributes";
import { revokeAttributeAction } from "@/lib/actions/authority/revoke-attribute";
import { revokePersonAction } from "@/lib/actions/authority/revoke-person";
import { reach } from "@/lib/actions/reach";

export type PersonView = {
  id: string;
  name: string;
  email: string;
  gid: string;
  role: string;
  organisation: string;
  hasWrapKey: boolean;
  hasTransformKey: boolean;
  attributes: Array<{ id: string; name: string; versions: number[] }>;
};

/** A cell: a column of the table on wide screens, a line of the person's card on a phone (the table stacks there). */
const CELL = "py-3 pr-4 max-sm:block max-sm:py-1 max-sm:pr-0";

export function PersonRow({ p, catalogue, self }: { p: PersonView; catalogue: Array<{ id: string; name: string }>; self: boolean }) {
  const router = useRouter();
  const [grant, setGrant] = useState("");
  const [error, setError] = useState<string | null>(null);
  const grantable = catalogue.filter((a) => !p.attributes.some((x) => x.id === a.id));
  const done = (r: { ok: true } | { ok: false; error: { message: string } }, success: string) => {
    if (!r.ok) return r.error.message;
    notify(success);
    router.refresh();
    return null;
  };
  return (
    <tr className="border-t border-slate-200 align-top max-sm:block max-sm:py-2" data-testid={`person-${p.email}`}>
      <td className={CELL}>
        <div className="font-medium">{p.name}</div>
        <div className="text-xs text-slate-500">
          {p.email} · <span className="font-mono">{p.gid}</span>
        </div>
        <div className="text-xs text-slate-500">
          {p.role.replace("_", " ").toLowerCase()} · {p.organisation}
        </div>
      </td>
      <td className={CELL}>
        {p.attributes.length === 0 ? (
          <span className="text-xs text-slate-500">none</span>
        ) : (
          <ul className="space-y-1">
            {p.attributes.map((a) => (
              <li key={a.id} className="flex flex-wrap items-center gap-2 text-sm">
                <span className="font-mono">{a.name}</span>
                <span className="text-xs text-slate-500">
                  {a.versions.length ? `key v${a.versions.join(", v")}` : p.hasWrapKey ? "no key" : "key waits for their browser"}
                </span>
                <ConfirmWithReason
                  trigger="Revoke"
                  triggerLabel={`Revoke ${a.name} from ${p.name}`}
                  title={`Revoke ${a.name} from ${p.name}?`}
                  confirmLabel="Revoke attribute"
                  onConfirm={async (reason) =>
                    done(
                      await reach(revokeAttributeAction)({ userId: p.id, attributeId: a.id, reason }),
                      `Revoked ${a.name} from ${p.name}; their transform key is destroyed.`,
                    )
                  }
                >
                  Their transform key is destroyed now; {a.name} gets a new key version for new uploads, issued to its other holders.
                </ConfirmWithReason>
              </li>
            ))}
          </ul>
        )}
      </td>
      <td className={`${CELL} text-xs`}>
        <div>{p.hasWrapKey ? "key store set up" : "no key store yet"}</div>
        <div>{p.hasTransformKey ? "transform key stored" : "no transform key"}</div>
      </td>
      <td className={CELL}>
        {grantable.length > 0 && (
          <form
            className="mb-2 flex gap-2"
            onSubmit={async (e) => {
              e.preventDefault();
              if (!grant) return;
              const name = grantable.find((a) => a.id === grant)?.name ?? "the attribute";
              setError(done(await reach(grantAttributesAction)({ userId: p.id, attributeIds: [grant] }), `Granted ${name} to ${p.name}.`));
              setGrant("");
            }}
          >
            <label className="sr-only" htmlFor={`grant-${p.id}`}>
              Attribute to grant to {p.name}
            </label>
            <select
              id={`grant-${p.id}`}
              value={grant}
              onChange={(e) => setGrant(e.target.value)}
              className="rounded-md border border-slate-300 px-2 py-1 text-sm"
            >
              <option value="">Grant attribute…</option>
              {grantable.map((a) => (
                <option key={a.id} value={a.id}>
                  {a.name}
                </option>
              ))}
            </select>
            <Button type="submit" disabled={!grant}>
              Grant
            </Button>
          </form>
        )}
        {!self && (
          <ConfirmWithReason
            trigger="Revoke person"
            triggerLabel={`Revoke person: ${p.name}`}
            title={`Revoke ${p.name}'s access?`}
            confirmLabel="Revoke access"
            onConfirm={async (reason) => done(await reach(revokePersonAction)({ userId: p.id, reason }), `Revoked ${p.name}'s access; they are signed out.`)}
          >
            They are signed out at once, lose every attribute, and their transform key is destroyed. This cannot be undone.
          </ConfirmWithReason>
        )}
        {error && (
          <p role="alert" className="mt-1 text-xs text-red-700">
            {error}
          </p>
        )}
      </td>
    </tr>
  );
}
