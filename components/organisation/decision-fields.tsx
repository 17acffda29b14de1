"use client";

/** Who decides requests for records: automatic once the ABS verifies, or a named approver (and optional second reviewer) of the hospital. */
export type DecisionChoice = { decisionMode: "automatic" | "hospital"; approverId: string; reviewerId: string };
export type StaffMember = { id: string; name: string };

export function DecisionFields({
  value,
  onChange,
  staff,
  errors,
  idPrefix,
}: {
  value: DecisionChoice;
  onChange: (v: DecisionChoice) => void;
  staff: StaffMember[];
  errors?: Record<string, string[]>;
  idPrefix: string;
}) {
  const select = "block w-full max-w-sm rounded-md border border-slate-300 p-2 text-sm";
  return (
    <fieldset className="space-y-3">
      <legend className="text-sm font-medium text-slate-800">Who decides requests for these records</legend>
      <label className="flex items-start gap-2 text-sm">
        <input
          type="radio"
          name={`${idPrefix}-mode`}
          checked={value.decisionMode === "automatic"}
          onChange={() => onChange({ ...value, decisionMode: "automatic" })}
          className="mt-1"
        />
        <span>Automatically, once the researcher&apos;s signature proves the policy&apos;s attributes</span>
      </label>
      <label className="flex items-start gap-2 text-sm">
        <input
          type="radio"
          name={`${idPrefix}-mode`}
          checked={value.decisionMode === "hospital"}
          onChange={() => onChange({ ...value, decisionMode: "hospital" })}
          className="mt-1"
        />
        <span>The hospital decides: a named approver approves, narrows or denies each request</span>
      </label>
      {value.decisionMode === "hospital" && (
        <div className="space-y-3 border-l-2 border-slate-200 pl-4">
          <div className="space-y-1">
            <label htmlFor={`${idPrefix}-approver`} className="block text-sm font-medium">
              Approver
            </label>
            <select
              id={`${idPrefix}-approver`}
              value={value.approverId}
              onChange={(e) => onChange({ ...value, approverId: e.target.value })}
              className={select}
              aria-invalid={Boolean(errors?.approverId) || undefined}
            >
              <option value="">Choose a person…</option>
              {staff.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.name}
                </option>
              ))}
            </select>
            {errors?.approverId?.map((e) => (
              <p key={e} role="alert" className="text-xs font-medium text-red-700">
                {e}
              </p>
            ))}
          </div>
          <div className="space-y-1">
            <label htmlFor={`${idPrefix}-reviewer`} className="block text-sm font-medium">
              Second reviewer (optional)
            </label>
            <select
              id={`${idPrefix}-reviewer`}
              value={value.reviewerId}
              onChange={(e) => onChange({ ...value, reviewerId: e.target.value })}
              className={select}
              aria-describedby={`${idPrefix}-reviewer-hint`}
              aria-invalid={Boolean(errors?.reviewerId) || undefined}
            >
              <option value="">None</option>
              {staff
                .filter((s) => s.id !== value.approverId)
                .map((s) => (
                  <option key={s.id} value={s.id}>
                    {s.name}
                  </option>
                ))}
            </select>
            <p id={`${idPrefix}-reviewer-hint`} className="text-xs text-slate-500">
              With a second reviewer, a request is approved only once both have approved it.
            </p>
            {errors?.reviewerId?.map((e) => (
              <p key={e} role="alert" className="text-xs font-medium text-red-700">
                {e}
              </p>
            ))}
          </div>
        </div>
      )}
    </fieldset>
  );
}

/** The choice as the server expects it (no approver named for "automatic"). */
export function decisionInput(v: DecisionChoice) {
  return v.decisionMode === "automatic"
    ? { decisionMode: "automatic" as const }
    : { decisionMode: "hospital" as const, approverId: v.approverId || undefined, reviewerId: v.reviewerId || undefined };
}
