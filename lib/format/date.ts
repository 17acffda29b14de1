/**
 * The one way MedShare shows a moment: "2026-12-03 14:05 UTC". UTC, so a page rendered on the
 * server reads the same in every browser and time zone; ISO order, so it sorts and never reads
 * as a month-first or day-first date.
 */
export function formatDateTime(value: Date | string | number | null | undefined): string {
  if (value === null || value === undefined || value === "") return "—";
  const d = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(d.getTime())) return "—";
  return `${d.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/** With seconds, for logs where order within a minute matters: "2026-12-03 14:05:09 UTC". */
export function formatDateTimeSeconds(value: Date | string | number | null | undefined): string {
  if (value === null || value === undefined || value === "") return "—";
  const d = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(d.getTime())) return "—";
  return `${d.toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

/** A calendar day: "2026-12-03". */
export function formatDate(value: Date | string | number | null | undefined): string {
  if (value === null || value === undefined || value === "") return "—";
  const d = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(d.getTime())) return "—";
  return d.toISOString().slice(0, 10);
}
