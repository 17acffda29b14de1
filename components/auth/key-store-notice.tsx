import { Alert } from "@/components/ui/alert";
import type { SessionUser } from "@/lib/auth/session";
import { formatDateTime } from "@/lib/format/date";

/**
 * Tells a person their key store was replaced, and from where. Replacing it ends every other
 * session, so the owner sees this at their next sign-in if someone else did it with their password.
 */
export function KeyStoreNotice({ user }: { user: SessionUser | null }) {
  const replaced = user?.keyStoreReplaced;
  if (!replaced) return null;
  const when = formatDateTime(replaced.at);
  return (
    <div className="mx-auto max-w-6xl px-6 pt-4" data-testid="key-store-notice">
      <Alert tone="warning" title="Your key store was replaced">
        Your key store was replaced on {when} from {replaced.from ?? "an unknown address"}, and your other sessions were ended. If this wasn&apos;t you, contact
        the hospital authority at once.
      </Alert>
    </div>
  );
}
