"use client";

import { useEffect, useSyncExternalStore } from "react";

/**
 * Success notices that outlive the row or dialog that caused them: an approved registration's
 * row disappears on refresh, so the "Approved …" message lives here, rendered once by the root
 * layout. `notify` from any client component; each notice stays until dismissed or 8 s pass.
 */
type Notice = { id: number; message: string };

let notices: Notice[] = [];
let nextId = 1;
const listeners = new Set<() => void>();
const emit = () => listeners.forEach((l) => l());

export function notify(message: string) {
  notices = [...notices, { id: nextId++, message }].slice(-3);
  emit();
}

function dismiss(id: number) {
  notices = notices.filter((n) => n.id !== id);
  emit();
}

const subscribe = (l: () => void) => {
  listeners.add(l);
  return () => void listeners.delete(l);
};
const EMPTY: Notice[] = [];

export function Notices() {
  const list = useSyncExternalStore(
    subscribe,
    () => notices,
    () => EMPTY,
  );
  useEffect(() => {
    if (list.length === 0) return;
    const t = setTimeout(() => dismiss(list[0].id), 8000);
    return () => clearTimeout(t);
  }, [list]);
  return (
    <div
      role="status"
      aria-live="polite"
      data-testid="notices"
      className="pointer-events-none fixed inset-x-0 bottom-4 z-50 flex flex-col items-center gap-2 px-4"
    >
      {list.map((n) => (
        <div
          key={n.id}
          className="pointer-events-auto flex w-full max-w-md items-start gap-3 rounded-md border border-emerald-200 bg-emerald-50 px-4 py-3 text-sm text-emerald-900 shadow-lg"
        >
          <p className="flex-1" data-testid="notice">
            {n.message}
          </p>
          <button
            type="button"
            onClick={() => dismiss(n.id)}
            className="rounded px-1 text-emerald-900 hover:bg-emerald-100 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-emerald-700"
            aria-label="Dismiss notice"
          >
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
