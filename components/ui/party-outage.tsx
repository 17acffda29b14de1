/** Another party (the CSP) did not answer: said plainly in place of what it would have listed. */
export function PartyOutage({ message, children }: { message: string; children?: React.ReactNode }) {
  return (
    <p role="alert" className="mb-4 rounded-md border border-red-200 bg-red-50 px-4 py-3 text-sm text-red-900" data-testid="csp-outage">
      {message} {children}
    </p>
  );
}
