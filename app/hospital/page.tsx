import Link from "next/link";
import { HospitalRequests } from "@/components/grants/hospital-requests";
import { DiscardUpload } from "@/components/upload/discard-upload";
import { PrunePendingUploads, ResumeUpload, RetryFeatures } from "@/components/upload/resume-upload";
import { UploadMeta } from "@/components/upload/upload-meta";
import { LogCheck } from "@/components/upload/log-check";
import { EmptyState, PageHeader } from "@/components/ui/page-header";
import { PartyOutage } from "@/components/ui/party-outage";
import { requirePageUser } from "@/lib/auth/page-guard";
import { allCurrentVersions } from "@/lib/authority/catalogue";
import { cspCall } from "@/lib/parties/csp-client";
import { orOutage } from "@/lib/parties/outage";
import { formatDateTime } from "@/lib/format/date";
import { requestsForHospital } from "@/lib/portal/grants";
import { TableHead } from "@/components/ui/table-head";

export const metadata = { title: "My hospital" };

function size(bytes: number) {
  return bytes > 1048576 ? `${(bytes / 1048576).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1024))} KB`;
}

export default async function HospitalPage({ searchParams }: { searchParams: Promise<{ denied?: string }> }) {
  const user = await requirePageUser(["HOSPITAL_STAFF"], "/hospital");
  const { denied } = await searchParams;
  const listed = await orOutage(cspCall("uploads.list", { currentVersions: await allCurrentVersions() }, { org: user.organisation.id }));
  const uploads = listed.data ?? [];
  const requests = await orOutage(requestsForHospital(user));
  const outdated = uploads.filter((u) => u.outdated.length > 0);
  return (
    <>
      <PageHeader
        title={user.organisation.name}
        description="Upload patient records encrypted in your browser, choose who may read them, and see who asked for access."
        actions={
          <div className="flex flex-wrap items-center gap-3">
            <Link href="/hospital/settings" className="text-sm underline">
              Settings: decisions and terms
            </Link>
            <Link href="/hospital/upload" className="rounded-md bg-brand-600 px-4 py-2 text-sm font-medium text-white hover:bg-brand-700">
              Upload records
            </Link>
          </div>
        }
      />
      {listed.outage && (
        <PartyOutage message={listed.outage}>
          Your uploads are kept; an upload in progress resumes where it stopped once the storage service is back.
        </PartyOutage>
      )}
      {denied && (
        <p role="status" className="mb-4 rounded-md bg-amber-50 px-4 py-2 text-sm text-amber-900">
          Your role cannot open {denied}.
        </p>
      )}
      {outdated.length > 0 && (
        <div role="status" className="mb-4 rounded-md border border-amber-200 bg-amber-50 px-4 py-3 text-sm text-amber-900">
          {outdated.length} upload{outdated.length > 1 ? "s are" : " is"} still encrypted under an older key version of an attribute the authority revoked from
          someone. New keys cannot open {outdated.length > 1 ? "them" : "it"}; re-encrypt from your source file to keep it readable by current holders.
        </div>
      )}
      <PrunePendingUploads
        organisationId={user.organisation.id}
        uploads={uploads.map((u) => ({
          id: u.id,
          status: u.status,
          expiresAt: u.expiresAt?.toISOString() ?? null,
          clusteringStored: u.clustering.status === "stored",
        }))}
      />
      <h2 className="mb-2 text-lg font-semibold">Uploads of your hospital</h2>
      {listed.outage ? null : uploads.length === 0 ? (
        <EmptyState title="No uploads yet">
          <Link className="underline" href="/hospital/upload">
            Upload a CSV or FHIR file
          </Link>
          : it is encrypted here, in your browser, before anything is sent.
        </EmptyState>
      ) : (
        <div role="region" aria-label="Your uploads" tabIndex={0} className="relative overflow-x-auto rounded-lg border border-slate-200 bg-white px-4">
          <table className="w-full text-left text-sm" data-testid="uploads">
            <caption className="sr-only">Uploads, newest first</caption>
            <TableHead columns={["When", "Label", "Records", "Policy", "Size", "Status", "Signed by", "Key versions"]} />
            <tbody>
              {uploads.map((u) => (
                <tr key={u.id} className="border-t border-slate-100" data-testid={`upload-${u.label}`}>
                  <td className="py-2 pr-4 text-xs">{formatDateTime(u.createdAt)}</td>
                  <td className="py-2 pr-4">
                    {u.label} <span className="text-xs text-slate-500">({u.format.toUpperCase()})</span>
                    {u.status === "STORED" && <UploadMeta id={u.id} label={u.label} note={u.note} />}
                  </td>
                  <td className="py-2 pr-4">{u.recordCount.toLocaleString()}</td>
                  <td className="py-2 pr-4 font-mono text-xs">{u.policy}</td>
                  <td className="py-2 pr-4 text-xs">{size(u.totalBytes)}</td>
                  <td className="py-2 pr-4 text-xs">
                    {u.status === "STORED" && u.clustering.status === "stored" ? (
                      <>
                        <span className="text-green-800" data-testid={`stored-${u.label}`}>
                          stored, verified
                        </span>
                        <LogCheck uploadId={u.id} digest={u.digest} recordsRoot={u.recordsRoot} label={u.label} />
                      </>
                    ) : u.status === "STORED" ? (
                      <span className="flex flex-wrap items-center gap-2">
                        <span className="text-amber-800" data-testid={`no-clustering-${u.label}`}>
                          stored, verified; no clustering data:{" "}
                          {u.clustering.status === "incomplete"
                            ? `sending the encrypted clustering tensors stopped (${u.clustering.received} of ${u.clustering.expected} arrived), so these records cannot be clustered yet`
                            : "no encrypted clustering tensors arrived (the file has fewer than two numeric fields, or sending them failed), so these records cannot be clustered"}
                        </span>
                        <RetryFeatures id={u.id} label={u.label} incomplete={u.clustering.status === "incomplete"} />
                        <LogCheck uploadId={u.id} digest={u.digest} recordsRoot={u.recordsRoot} label={u.label} />
                      </span>
                    ) : (
                      <span className="flex flex-wrap items-center gap-2">
                        <span data-testid={`unfinished-${u.label}`}>
                          unfinished: {u.receivedChunks} of {u.chunkCount} chunks arrived; resumable until {formatDateTime(u.expiresAt)}
                        </span>
                        <ResumeUpload id={u.id} label={u.label} />
                        <DiscardUpload id={u.id} label={u.label} />
                      </span>
                    )}
                  </td>
                  <td className="py-2 pr-4 text-xs">
                    <span className="font-mono">{u.signerGid}</span> as {u.signaturePolicy}
                  </td>
                  <td className="py-2 text-xs">
                    {u.outdated.length === 0 ? (
                      "current"
                    ) : (
                      <>
                        <span className="text-amber-800">older: {u.outdated.map((o) => `${o.attribute} v${o.version} (now v${o.current})`).join(", ")}</span>{" "}
                        <Link className="underline" href={`/hospital/upload?replace=${u.id}`}>
                          Re-encrypt…
                        </Link>
                      </>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h2 className="mb-2 mt-8 text-lg font-semibold">Access requests</h2>
      {requests.outage !== null ? (
        <PartyOutage message={requests.outage} />
      ) : requests.data.length === 0 ? (
        <EmptyState title="No one has asked for these records yet">
          Researchers&apos; requests for your records, or for clusters containing them, will appear here with their outcome and how long access lasts.
        </EmptyState>
      ) : (
        <HospitalRequests requests={requests.data} />
      )}
    </>
  );
}
