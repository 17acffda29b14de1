"use client";

import { useEffect, useState, useSyncExternalStore } from "react";

/**
 * Success notices that outlive the row or dialog that caused them: an approved registration's
 * row disappears on refresh, so the "Approved …" message lives here, rendered once by the root
 * layout. `notify` from any client component; each notice stays until dismissed or 8 s pass,
 * and not while the pointer is over the notices or the keyboard focus is in them (WCAG 2.2.1:
 * time to read; the 8 s start again when they are left).
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
  const [hovered, setHovered] = useState(false);
  const [focused, setFocused] = useState(false);
  const held = hovered || focused;
  useEffect(() => {
    if (list.length === 0 || held) return;
    const t = setTimeout(() => dismiss(list[0].id), 8000);
    return () => clearTimeout(t);
  }, [list, held]);
  return (
    <div
      role="status"
      aria-live="polite"
      data-testid="notices"
      data-held={held ? "true" : undefined}
      onPointerEnter={() => setHovered(true)}
      onPointerLeave={() => setHovered(false)}
      onFocus={() => setFocused(true)}
      onBlur={(e) => {
        if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setFocused(false);
      }}
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
            onClick={() => {
              // the last one gone under the pointer or focus: no leave event follows, so the hold ends here
              if (list.length === 1) {
                setHovered(false);
                setFocused(false);
              }
              dismiss(n.id);
            }}
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
