/**
 * How long accounting records must be kept (bokföringslagen 7 kap. 2 §): through the seventh
 * calendar year after the end of the calendar year in which the fiscal year ended.
 *
 * A fiscal year starts on the first day of `fiscalYearStartMonth` (1 = the calendar year) and
 * lasts twelve months. An invoice belongs to the fiscal year its invoice date falls in. Shortened
 * or extended fiscal years (a company's first or last, or a change of fiscal year) are not
 * modelled: for those, the setting gives the regular years.
 */

export const BOOKKEEPING_LEGAL_BASIS = 'bokföringslagen 7 kap. 2 §';
/** Calendar years the records are kept after the one in which their fiscal year ended. */
export const BOOKKEEPING_YEARS = 7;

const DATE = /^(\d{4})-(\d{2})-(\d{2})(?:$|T)/;

/** The calendar date an invoice carries ("YYYY-MM-DD", or a timestamp whose date part is used). */
export function parseInvoiceDate(text: unknown): { year: number; month: number; day: number } | null {
  if (typeof text !== 'string') return null;
  const m = DATE.exec(text.trim());
  if (!m) return null;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const check = new Date(Date.UTC(year, month - 1, day));
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) return null;
  return { year, month, day };
}

function checkStartMonth(fiscalYearStartMonth: number): void {
  if (!Number.isInteger(fiscalYearStartMonth) || fiscalYearStartMonth < 1 || fiscalYearStartMonth > 12) {
    throw new RangeError('the fiscal year start month must be 1..12');
  }
}

/** The last day of the fiscal year a date falls in, as { year, month } (the day is that month's last). */
export function fiscalYearEnd(date: { year: number; month: number }, fiscalYearStartMonth: number): { year: number; month: number } {
  checkStartMonth(fiscalYearStartMonth);
  if (fiscalYearStartMonth === 1) return { year: date.year, month: 12 };
  // a fiscal year starting in month m of year Y ends with month m-1 of year Y+1
  const startYear = date.month >= fiscalYearStartMonth ? date.year : date.year - 1;
  return { year: startYear + 1, month: fiscalYearStartMonth - 1 };
}

/**
 * The last moment an invoice must be kept: 31 December, 23:59:59.999 UTC, of the seventh year
 * after the calendar year in which the invoice's fiscal year ended. Null for an unreadable date.
 */
export function invoiceRetainedUntil(invoiceDate: unknown, fiscalYearStartMonth: number): Date | null {
  checkStartMonth(fiscalYearStartMonth);
  const date = parseInvoiceDate(invoiceDate);
  if (!date) return null;
  const end = fiscalYearEnd(date, fiscalYearStartMonth);
  return new Date(Date.UTC(end.year + BOOKKEEPING_YEARS, 11, 31, 23, 59, 59, 999));
}
