"use client";

import { useRef, useState, type ReactNode } from "react";

/**
 * The main menu: a row of links from 1024 px up; below that, a "Menu" button that opens and
 * closes it (aria-expanded, Escape closes and returns focus, following a link closes it).
 */
export function NavMenu({ children }: { children: ReactNode }) {
  const [open, setOpen] = useState(false);
  const button = useRef<HTMLButtonElement>(null);
  return (
    <>
      <button
        ref={button}
        type="button"
        aria-expanded={open}
        aria-controls="main-menu"
        onClick={() => setOpen(!open)}
        className="ml-auto inline-flex items-center gap-2 rounded-md px-3 py-1.5 text-sm text-slate-700 ring-1 ring-slate-300 hover:bg-slate-100 lg:hidden"
      >
        <svg aria-hidden="true" viewBox="0 0 20 20" className="h-4 w-4" fill="currentColor">
          {open ? (
            <path d="M5.3 4.3 10 9l4.7-4.7 1 1L11 10l4.7 4.7-1 1L10 11l-4.7 4.7-1-1L9 10 4.3 5.3z" />
          ) : (
            <path d="M3 5h14v1.5H3zm0 4.25h14v1.5H3zM3 13.5h14V15H3z" />
          )}
        </svg>
        Menu
      </button>
      <div
        id="main-menu"
        data-open={open}
        className={`${open ? "flex" : "hidden"} w-full flex-col gap-4 border-t border-slate-200 pt-3 lg:flex lg:w-auto lg:flex-1 lg:flex-row lg:items-center lg:gap-6 lg:border-0 lg:pt-0`}
        onClick={(e) => {
          if ((e.target as HTMLElement).closest("a")) setOpen(false);
        }}
        onKeyDown={(e) => {
          if (e.key === "Escape" && open) {
            setOpen(false);
            button.current?.focus();
          }
        }}
      >
        {children}
      </div>
    </>
  );
}
