/** Cell values: what counts as missing, numbers as a CSV writes them, and dates in the forms clinics use. */

/**
 * Cell texts read as missing (after trimming). "?" is UCI's marker; "NA"/"N/A"/"NaN" are R's and
 * Excel's. Not "-" or "None": in clinical data they are results ("-" negative, smoking "None").
 */
export const DEFAULT_MISSING_VALUES: readonly string[] = ["", "NA", "N/A", "n/a", "NaN", "null", "NULL", "?"];

const NUMBER_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A decimal number as a CSV would write it (no hex, no Infinity, no thousands separators), else null. */
export function parseNumber(text: string): number | null {
  if (!NUMBER_RE.test(text)) return null;
  const v = Number(text);
  return Number.isFinite(v) ? v : null;
}

export interface DateParts {
  year: number;
  month: number;
  day: number;
}

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const ISO_DATE_RE = /^(\d{4})-(\d{2})(?:-(\d{2}))?(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;
const SLASH_DATE_RE = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?(?:\s?[AaPp][Mm])?)?$/;
const YMD_SLASH_RE = /^(\d{4})\/(\d{1,2})\/(\d{1,2})$/;
const NAMED_DMY_RE = /^(\d{1,2})[ -]([A-Za-z]{3,9})\.?[ -,]+(\d{4})$/;
const NAMED_MDY_RE = /^([A-Za-z]{3,9})\.? (\d{1,2}),? (\d{4})$/;

const monthIndex = (name: string): number => {
  const m = MONTHS.indexOf(name.slice(0, 3).toLowerCase());
  return m < 0 ? 0 : m + 1;
};
const valid = (year: number, month: number, day: number): DateParts | null =>
  year >= 1000 && year <= 9999 && month >= 1 && month <= 12 && day >= 1 && day <= 31 ? { year, month, day } : null;

/**
 * A calendar date with at least a month: ISO 8601 (YYYY-MM, YYYY-MM-DD, date-times, as FHIR
 * writes them), M/D/YYYY or D.M.YYYY (the year is what matters for de-identification, so the
 * day/month order need not be known), YYYY/MM/DD, "5 Mar 2024", "March 5, 2024". Else null.
 */
export function parseDate(text: string): DateParts | null {
  let m = ISO_DATE_RE.exec(text);
  if (m) return valid(+m[1], +m[2], m[3] ? +m[3] : 1);
  m = SLASH_DATE_RE.exec(text);
  if (m) {
    const a = +m[1],
      b = +m[2];
    // US month/day first; fall back to day/month when the first part cannot be a month.
    return a <= 12 ? valid(+m[3], a, b) : valid(+m[3], b, a);
  }
  m = YMD_SLASH_RE.exec(text);
  if (m) return valid(+m[1], +m[2], +m[3]);
  m = NAMED_DMY_RE.exec(text);
  if (m) return valid(+m[3], monthIndex(m[2]), +m[1]);
  m = NAMED_MDY_RE.exec(text);
  if (m) return valid(+m[3], monthIndex(m[1]), +m[2]);
  return null;
}
