// How numbers and dates are written on the pages. Fixed locale, so the pages read the same for everyone and the
// browser test can compare them with the warehouse.

const INTEGER = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

export const NONE = "—";

export function int(value: number | null | undefined): string {
  return typeof value === "number" && Number.isFinite(value) ? INTEGER.format(value) : NONE;
}

export function fixed(value: number | null | undefined, digits = 1): string {
  return typeof value === "number" && Number.isFinite(value) ? value.toFixed(digits) : NONE;
}

/** A share (0–1) as a percentage. */
export function percent(value: number | null | undefined, digits = 1): string {
  return typeof value === "number" && Number.isFinite(value) ? `${(value * 100).toFixed(digits)} %` : NONE;
}

export function seconds(value: number | null | undefined): string {
  if (typeof value !== "number" || !Number.isFinite(value)) return NONE;
  return value >= 100 ? `${value.toFixed(0)} s` : `${value.toFixed(1)} s`;
}

/** Today's date in UTC (the API's run dates and defaults are UTC dates), as YYYY-MM-DD. */
export function todayUtc(): string {
  return new Date().toISOString().slice(0, 10);
}

export function addDays(isoDate: string, days: number): string {
  const date = new Date(`${isoDate}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

export function isIsoDate(value: string | null | undefined): value is string {
  return !!value && /^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`));
}

/** The gate's verdict in one word: "passed", "failed" or "not evaluated" (the verdict text says more). */
export function gateWord(verdict: string | null | undefined, passed?: boolean | null): string {
  if (verdict) return verdict.split(":")[0].trim();
  if (passed === true) return "passed";
  if (passed === false) return "failed";
  return NONE;
}
