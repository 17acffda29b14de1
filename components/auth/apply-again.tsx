"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";
import { Button } from "@/components/ui/button";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import { notify } from "@/components/ui/notices";
import { resubmitRegistrationAction } from "@/lib/actions/registration/resubmit";
import { reach } from "@/lib/actions/reach";

/** On /pending for a rejected applicant: send the same registration (same e-mail and GID) back to the authority. */
export function ApplyAgain({ organisation }: { organisation: string }) {
  const router = useRouter();
  const [asking, setAsking] = useState(false);
  return (
    <>
      <Button type="button" onClick={() => setAsking(true)}>
        Apply again
      </Button>
      <ConfirmDialog
        open={asking}
        title="Send your registration again?"
        confirmLabel="Send it again"
        danger={false}
        onClose={() => setAsking(false)}
        onConfirm={async () => {
          const r = await reach(resubmitRegistrationAction)({});
          if (!r.ok) return r.error.message;
          notify("Your registration is with the hospital authority again.");
          router.refresh();
          return null;
        }}
      >
        The hospital authority sees your registration for <strong>{organisation}</strong> again, with the same e-mail and identifier. If the reason they gave
        can be fixed outside MedShare (for example, by your organisation vouching for you), do that first.
      </ConfirmDialog>
    </>
  );
}
