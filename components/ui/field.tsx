import type { InputHTMLAttributes, ReactNode } from "react";

/** A labelled form control with its hint and error, wired for screen readers. */
export function Field({ id, label, hint, error, children }: { id: string; label: string; hint?: ReactNode; error?: string[] | string; children: ReactNode }) {
  const errors = typeof error === "string" ? [error] : error;
  return (
    <div className="space-y-1">
      <label htmlFor={id} className="block text-sm font-medium text-slate-800">
        {label}
      </label>
      {children}
      {hint && (
        <p id={`${id}-hint`} className="text-xs text-slate-500">
          {hint}
        </p>
      )}
      {errors?.map((e) => (
        <p key={e} id={`${id}-error`} className="text-xs font-medium text-red-700" role="alert">
          {e}
        </p>
      ))}
    </div>
  );
}

export function TextInput({ invalid, className = "", ...props }: InputHTMLAttributes<HTMLInputElement> & { invalid?: boolean }) {
  return (
    <input
      aria-invalid={invalid || undefined}
      className={`block w-full rounded-md border px-3 py-2 text-sm shadow-sm ${invalid ? "border-red-500" : "border-slate-300"} ${className}`}
      {...props}
    />
  );
}
