"use client";

import { useState, type FormEvent } from "react";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import { Field, TextInput } from "@/components/ui/field";
import { Card } from "@/components/ui/page-header";
import { attributeAuthority, describePolicy, explainMissing, parsePolicy, PolicyError } from "@/lib/abe";
import { deleteTransformKeyAction } from "@/lib/actions/keys/delete-transform-key";
import { setWrapKeyAction } from "@/lib/actions/keys/set-wrap-key";
import { storeTransformKeyAction } from "@/lib/actions/keys/store-transform-key";
import { parseKeyId } from "@/lib/keystore/contexts";
import { createTransformKey, latestVersions, newKeystore, transformOutOfDate } from "@/lib/keystore/operations";
import { KeystoreError, parseSealedKeystore, sealKeystore } from "@/lib/keystore/sealed";
import { saveSealed } from "@/lib/keystore/idb";
import { keyPassphraseProblem, keyPassphraseSchema } from "@/lib/validation/passphrase";
import { useKeyStore, type KeyMaterial } from "./use-key-store";
import { reach } from "@/lib/actions/reach";

/** "HA1.cardiology (v1, v2), HA1.researcher": attributes, with their versions when more than one is held. */
function describeCovers(covers: string[]): string {
  const versions = new Map<string, number[]>();
  for (const id of covers) {
    const { attribute, version } = parseKeyId(id);
    versions.set(attribute, [...(versions.get(attribute) ?? []), version]);
  }
  return [...versions]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([a, vs]) =>
      vs.length > 1
        ? `${a} (${vs
            .sort((x, y) => x - y)
            .map((v) => `v${v}`)
            .join(", ")})`
        : a,
    )
    .join(", ");
}

function message(error: unknown): string {
  if (error instanceof KeystoreError || error instanceof Error) return error.message;
  return "Something went wrong; nothing was changed.";
}

/** Runs an async step with a busy flag and turns failures into a message. */
function useStep() {
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  async function run(label: string, fn: () => Promise<string | void>) {
    setBusy(label);
    setError(null);
    setNotice(null);
    try {
      const done = await fn();
      if (done) setNotice(done);
    } catch (e) {
      setError(message(e));
    } finally {
      setBusy(null);
    }
  }
  return { busy, error, notice, run };
}

/** `askPassword`: also asks for the account password (setting a key store re-authenticates). */
function PassphraseForm({
  label,
  onSubmit,
  busy,
  confirm,
  askPassword,
}: {
  label: string;
  busy: boolean;
  confirm?: boolean;
  askPassword?: boolean;
  onSubmit: (passphrase: string, password: string) => void;
}) {
  const [mismatch, setMismatch] = useState(false);
  const [weak, setWeak] = useState<string | null>(null);
  return (
    <form
      aria-label={label}
      className="space-y-3"
      onSubmit={(e: FormEvent<HTMLFormElement>) => {
        e.preventDefault();
        const data = new FormData(e.currentTarget);
        const p = String(data.get("passphrase") ?? "");
        // A passphrase being chosen (confirm) must be strong; unlocking takes what was chosen then.
        const problem = confirm ? (keyPassphraseSchema.safeParse(p).error?.issues[0]?.message ?? null) : null;
        const differs = Boolean(confirm) && p !== String(data.get("passphrase2") ?? "");
        setWeak(problem);
        setMismatch(differs);
        if (!differs && !problem) onSubmit(p, String(data.get("account-password") ?? ""));
      }}
    >
      <Field id={`${label}-passphrase`} label="Key passphrase" error={weak ?? undefined}>
        <TextInput id={`${label}-passphrase`} name="passphrase" type="password" autoComplete="off" required />
      </Field>
      {confirm && (
        <Field id={`${label}-passphrase2`} label="Repeat key passphrase" error={mismatch ? "The two entries differ." : undefined}>
          <TextInput id={`${label}-passphrase2`} name="passphrase2" type="password" autoComplete="off" required />
        </Field>
      )}
      {askPassword && (
        <Field id={`${label}-account-password`} label="Account password" hint="The password you sign in with: needed to send your keys to a new key store.">
          <TextInput id={`${label}-account-password`} name="account-password" type="password" autoComplete="current-password" required />
        </Field>
      )}
      <Button type="submit" disabled={busy}>
        {busy ? "Working…" : label}
      </Button>
    </form>
  );
}

/**
 * Changing the key passphrase. Stores sealed before the strength check (10 characters were
 * enough) keep their old passphrase after the Argon2id upgrade, so they are told to change it.
 */
function PassphraseCard({ weakness, busy, onChange }: { weakness: string | null; busy: boolean; onChange: (passphrase: string) => void }) {
  return (
    <Card>
      <h2 className="font-semibold">Key passphrase</h2>
      {weakness && (
        <Alert tone="warning" title="Your key passphrase is weak">
          {weakness} A backup exported under it could be guessed offline: choose a new one.
        </Alert>
      )}
      <details className="mt-2 text-sm" open={Boolean(weakness)}>
        <summary className="cursor-pointer">Change key passphrase</summary>
        <div className="mt-2">
          <PassphraseForm label="Change key passphrase" confirm busy={busy} onSubmit={onChange} />
        </div>
      </details>
    </Card>
  );
}

function ImportBackup({ onImport, busy }: { busy: boolean; onImport: (text: string, passphrase: string) => void }) {
  return (
    <form
      className="space-y-3"
      onSubmit={async (e) => {
        e.preventDefault();
        const data = new FormData(e.currentTarget);
        const file = data.get("backup") as File | null;
        if (!file || file.size === 0) return;
        onImport(await file.text(), String(data.get("passphrase") ?? ""));
      }}
    >
      <Field id="backup-file" label="Key backup file">
        <input id="backup-file" name="backup" type="file" accept=".json,application/json" required className="block text-sm" />
      </Field>
      <Field id="backup-passphrase" label="Passphrase of the backup">
        <TextInput id="backup-passphrase" name="passphrase" type="password" autoComplete="off" required />
      </Field>
      <Button type="submit" variant="secondary" disabled={busy}>
        Import backup
      </Button>
    </form>
  );
}

function PolicyCheck({ held }: { held: string[] }) {
  const [text, setText] = useState("");
  let verdict: { tone: "success" | "warning" | "error"; text: string } | null = null;
  if (text.trim()) {
    try {
      const node = parsePolicy(text);
      const missing = explainMissing(node, held);
      verdict =
        missing.length === 0
          ? { tone: "success", text: `You satisfy it: ${describePolicy(node)}.` }
          : { tone: "warning", text: `You lack ${missing.join(", ")} for: ${describePolicy(node)}.` };
    } catch (e) {
      verdict = { tone: "error", text: e instanceof PolicyError ? e.message : "Not a policy." };
    }
  }
  return (
    <div className="space-y-2">
      <Field id="policy-check" label="Does a policy let me in?" hint="e.g. HA1.researcher AND (HA1.cardiology OR HA1.oncology)">
        <TextInput id="policy-check" value={text} onChange={(e) => setText(e.target.value)} />
      </Field>
      <div aria-live="polite" data-testid="policy-verdict">
        {verdict && <Alert tone={verdict.tone}>{verdict.text}</Alert>}
      </div>
    </div>
  );
}

export function KeyManager({ gid, initial }: { gid: string; initial: KeyMaterial }) {
  const ks = useKeyStore(gid, initial);
  const step = useStep();
  const [askDeleteTk, setAskDeleteTk] = useState(false);
  const { material, sealed, unlocked } = ks;

  const importBackup = (text: string, passphrase: string) =>
    step.run("import", async () => {
      const store = parseSealedKeystore(text);
      await ks.unlock(store, passphrase, { save: true });
      return "Backup imported into this browser.";
    });

  const setUp = async (passphrase: string, password: string, replacing: boolean) => {
    const contents = newKeystore(gid);
    const store = await sealKeystore(contents, passphrase);
    const r = await reach(setWrapKeyAction)({ publicKey: contents.wrapPublicKey, password });
    if (!r.ok) throw new Error(r.error.fieldErrors?.password?.[0] ?? r.error.message);
    await saveSealed(store);
    await ks.unlock(store, passphrase);
    return replacing ? "New key store created; your current keys were issued to it again." : "Key storage is set up in this browser.";
  };

  const header = (
    <Alert tone="info">
      Your keys live only in this browser, encrypted under your key passphrase. The server keeps your keys wrapped to this browser&apos;s key, never in the
      clear, and never learns your passphrase.
    </Alert>
  );

  const feedback = (
    <div aria-live="polite" className="space-y-2">
      {step.error && (
        <Alert tone="error" title="Nothing was changed">
          {step.error}
        </Alert>
      )}
      {step.notice && <Alert tone="success">{step.notice}</Alert>}
      {material.pendingAuthorities.length > 0 && (
        <Alert tone="warning" title="Some keys are not issued yet">
          The attribute {material.pendingAuthorities.length === 1 ? "authority" : "authorities"} {material.pendingAuthorities.join(" and ")}{" "}
          {material.pendingAuthorities.length === 1 ? "is" : "are"} unreachable right now, so keys for attributes{" "}
          {material.pendingAuthorities.length === 1 ? "it issues" : "they issue"} are pending. Your other keys work; reload this page later.
        </Alert>
      )}
    </div>
  );

  if (sealed === undefined)
    return (
      <p role="status" className="text-sm text-slate-500">
        Looking for your key store…
      </p>
    );

  if (!unlocked) {
    return (
      <div className="space-y-6">
        {header}
        {feedback}
        {sealed ? (
          <Card>
            <h2 className="mb-3 font-semibold">Unlock your keys</h2>
            <PassphraseForm label="Unlock" busy={step.busy === "unlock"} onSubmit={(p) => step.run("unlock", () => ks.unlock(sealed, p))} />
          </Card>
        ) : material.hasWrapKey ? (
          <Card>
            <h2 className="font-semibold">This browser has no key store for you</h2>
            <p className="mb-3 text-sm text-slate-600">Import the key backup you exported earlier.</p>
            <ImportBackup busy={step.busy === "import"} onImport={importBackup} />
          </Card>
        ) : (
          <Card>
            <h2 className="font-semibold">Set up key storage</h2>
            <p className="mb-3 text-sm text-slate-600">Choose a key passphrase. Your browser makes a key pair and sends the authority only its public half.</p>
            <PassphraseForm
              label="Set up key storage"
              confirm
              askPassword
              busy={step.busy === "setup"}
              onSubmit={(p, pw) => step.run("setup", () => setUp(p, pw, false))}
            />
          </Card>
        )}
        {material.hasWrapKey && (
          <details className="rounded-md border border-slate-200 bg-white p-4 text-sm">
            <summary className="cursor-pointer font-medium">Lost your key store and backup?</summary>
            <p className="my-2 text-slate-600">
              Start over with a new key store: the authority issues your current keys again to it. Your transform key is destroyed and keys of older versions
              are gone for good.
            </p>
            <PassphraseForm
              label="Start a new key store"
              confirm
              askPassword
              busy={step.busy === "setup"}
              onSubmit={(p, pw) => step.run("setup", () => setUp(p, pw, true))}
            />
          </details>
        )}
      </div>
    );
  }

  const { contents, sync } = unlocked;
  const held = Object.keys(latestVersions(contents));
  const waiting = material.grants.filter((g) => !held.includes(g.attribute));
  const serverTk = material.transformKey;
  // Current: made here (this browser holds its z) and covering every key version held, old and new.
  const tkCurrent = Boolean(serverTk && contents.transform && !transformOutOfDate(contents, serverTk.covers));

  return (
    <div className="space-y-6">
      {header}
      {feedback}
      {sync && (sync.added.length > 0 || sync.removed.length > 0 || sync.rejected.length > 0 || sync.refreshed || sync.refreshError) && (
        <div className="space-y-2">
          {sync.added.length > 0 && <Alert tone="success">New keys received and checked: {sync.added.join(", ")}.</Alert>}
          {sync.removed.length > 0 && <Alert tone="warning">Keys withdrawn by the authority: {sync.removed.join(", ")}.</Alert>}
          {sync.rejected.map((r) => (
            <Alert key={r.key} tone="error" title={`Key ${r.key} refused`}>
              Not stored: {r.reason}
            </Alert>
          ))}
          {sync.refreshed && <Alert tone="success">Transform key brought up to date: it covers every key version you hold.</Alert>}
          {sync.refreshError && (
            <Alert tone="error" title="Transform key not refreshed">
              {sync.refreshError} Use “Refresh transform key” below.
            </Alert>
          )}
        </div>
      )}
      <Card>
        <div className="mb-3 flex items-center justify-between">
          <h2 className="font-semibold">Attribute keys in this browser</h2>
          <Button variant="secondary" onClick={ks.lock}>
            Lock
          </Button>
        </div>
        {Object.keys(contents.keys).length === 0 ? (
          <p className="text-sm text-slate-600">No keys yet. They arrive once the authority grants you attributes.</p>
        ) : (
          <div role="region" aria-label="Your keys" tabIndex={0} className="relative overflow-x-auto">
            <table className="w-full text-left text-sm">
              <caption className="sr-only">Your attribute keys</caption>
              <thead className="text-xs uppercase text-slate-500">
                <tr>
                  <th className="py-1 pr-4">Attribute</th>
                  <th className="py-1 pr-4">Key version</th>
                  <th className="py-1 pr-4">Issued by</th>
                  <th className="py-1">Status</th>
                </tr>
              </thead>
              <tbody>
                {Object.keys(contents.keys)
                  .sort()
                  .map((id) => {
                    const { attribute, version } = parseKeyId(id);
                    const grant = material.grants.find((g) => g.attribute === attribute);
                    const current = grant?.currentVersion;
                    return (
                      <tr key={id} className="border-t border-slate-100" data-testid={`key-${attribute}`}>
                        <td className="py-1 pr-4 font-mono">{attribute}</td>
                        <td className="py-1 pr-4">v{version}</td>
                        <td
                          className="py-1 pr-4"
                          title={grant ? `${grant.issuer.name}, run by the attribute authority service ${grant.issuer.service}` : undefined}
                        >
                          {grant ? `${grant.issuer.code} · ${grant.issuer.name}` : attributeAuthority(attribute)}
                        </td>
                        <td className="py-1">{current === version ? "current" : current ? `older (current is v${current})` : "attribute no longer granted"}</td>
                      </tr>
                    );
                  })}
              </tbody>
            </table>
          </div>
        )}
        {waiting.length > 0 && <p className="mt-3 text-sm text-amber-800">Granted, key not yet received: {waiting.map((w) => w.attribute).join(", ")}.</p>}
      </Card>

      <Card>
        <h2 className="font-semibold">Transform key (outsourced decryption)</h2>
        <p className="mb-3 text-sm text-slate-600">
          The cloud does the heavy part of decrypting records you request with a transform key made from your keys and a secret number that stays in this
          browser. Without that number, the cloud&apos;s work opens nothing.
        </p>
        <p className="mb-3 text-sm" data-testid="tk-status">
          {serverTk
            ? tkCurrent
              ? `Stored with the authority, covering ${describeCovers(serverTk.covers)}.`
              : "Stored, but out of date: refresh it."
            : "No transform key stored."}
        </p>
        <div className="flex flex-wrap gap-2">
          <Button
            disabled={held.length === 0 || step.busy !== null}
            onClick={() =>
              step.run("tk", async () => {
                const made = createTransformKey(contents);
                const r = await reach(storeTransformKeyAction)({ layers: made.layers });
                if (!r.ok) throw new Error(r.error.message);
                await ks.update(made.contents);
                await ks.refreshMaterial();
                return "Transform key stored with the authority.";
              })
            }
          >
            {serverTk ? "Refresh transform key" : "Create transform key"}
          </Button>
          {serverTk && (
            <Button variant="secondary" disabled={step.busy !== null} onClick={() => setAskDeleteTk(true)}>
              Delete transform key
            </Button>
          )}
          <ConfirmDialog
            open={askDeleteTk}
            title="Delete your transform key?"
            confirmLabel="Delete transform key"
            onClose={() => setAskDeleteTk(false)}
            onConfirm={async () => {
              await step.run("tk-delete", async () => {
                const r = await reach(deleteTransformKeyAction)({});
                if (!r.ok) throw new Error(r.error.message);
                await ks.update({ ...contents, transform: null });
                await ks.refreshMaterial();
                return "Transform key deleted.";
              });
              return null;
            }}
          >
            Requests can&apos;t be decrypted until you create a new one.
          </ConfirmDialog>
        </div>
      </Card>

      <PassphraseCard
        weakness={keyPassphraseProblem(unlocked.passphrase)}
        busy={step.busy === "passphrase"}
        onChange={(p) =>
          step.run("passphrase", async () => {
            await ks.persist(contents, p);
            ks.setUnlocked({ ...unlocked, passphrase: p });
            return "Key passphrase changed. Export a new backup: backups made before still open with the old passphrase.";
          })
        }
      />

      <Card>
        <h2 className="font-semibold">Backup</h2>
        <p className="mb-3 text-sm text-slate-600">Export your key store as a file, encrypted under your key passphrase, to use MedShare on another browser.</p>
        <div className="flex flex-wrap items-start gap-6">
          <Button
            variant="secondary"
            onClick={() => {
              if (!sealed) return;
              const url = URL.createObjectURL(new Blob([JSON.stringify(sealed, null, 2)], { type: "application/json" }));
              const a = document.createElement("a");
              a.href = url;
              a.download = `medshare-keys-${gid}.json`;
              a.click();
              URL.revokeObjectURL(url);
            }}
          >
            Export key backup
          </Button>
          <details className="text-sm">
            <summary className="cursor-pointer">Import a backup instead</summary>
            <div className="mt-2">
              <ImportBackup busy={step.busy === "import"} onImport={importBackup} />
            </div>
          </details>
        </div>
      </Card>

      <Card>
        <PolicyCheck held={held} />
      </Card>
    </div>
  );
}
