"use client";

import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";

export default function ErrorPage({ reset }: { error: Error; reset: () => void }) {
  return (
    <div className="mx-auto max-w-xl space-y-4">
      <Alert tone="error" title="This page could not be shown">
        Nothing was changed. Try again, or go back.
      </Alert>
      <Button onClick={reset}>Try again</Button>
    </div>
  );
}
