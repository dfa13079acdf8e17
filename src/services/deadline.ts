/**
 * GDPR Art. 12(3): a request is answered "within one month of receipt", extendable by two further
 * months. Months are calendar months in UTC; a day that does not exist in the target month becomes
 * that month's last day (31 January -> 28 or 29 February).
 */
export function addCalendarMonths(from: Date, months: number): Date {
  const y = from.getUTCFullYear();
  const m = from.getUTCMonth() + months;
  const lastDay = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  return new Date(
    Date.UTC(y, m, Math.min(from.getUTCDate(), lastDay), from.getUTCHours(), from.getUTCMinutes(), from.getUTCSeconds(), from.getUTCMilliseconds()),
  );
}

export const ANSWER_MONTHS = 1;
export const EXTENDED_MONTHS = 3;

export function dueDate(receivedAt: Date, extended: boolean): Date {
  return addCalendarMonths(receivedAt, extended ? EXTENDED_MONTHS : ANSWER_MONTHS);
}
