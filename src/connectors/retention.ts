/**
 * Date arithmetic of the retention rules (`RetentionRule` in the SPI), in UTC calendar days.
 *
 * A rule counts from a day (the day a contract ended, the last day of a fiscal year, the day of
 * the last activity): the data may be kept through that day and the period after it, and is past
 * its rule from the first moment after. Adding months keeps the day of the month, or the month's
 * last day when it has fewer days (so 2024-02-29 + 1 year is 2025-02-28).
 *
 * `fiscal-year-end` follows bokföringslagen 7 kap. 2 §: the records are kept through the seventh
 * calendar year after the calendar year in which the fiscal year ended, so the period is counted
 * from the end of that calendar year (fiscal year ending 2024-06-30 -> kept through 2031-12-31).
 */
import { addCalendarMonths as addMonths } from '../services/deadline';
import type { RetentionRule } from './connector';

const DAY_MS = 86_400_000;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** 'YYYY-MM-DD' -> midnight UTC of that day; throws on anything else. */
export function parseDay(day: string): Date {
  const m = DATE.exec(day);
  const d = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : null;
  if (!d || d.toISOString().slice(0, 10) !== day) throw new RangeError('expected a date as YYYY-MM-DD');
  return d;
}

export const formatDay = (d: Date): string => d.toISOString().slice(0, 10);

function monthsOf(rule: RetentionRule): number {
  const months = (rule.period.years ?? 0) * 12 + (rule.period.months ?? 0);
  if (!Number.isInteger(months) || months < 0) throw new RangeError('a retention period is whole years and months');
  return months;
}

/** The day the period counts from: the day itself, or for `fiscal-year-end` 31 December of its year. */
function countFrom(rule: RetentionRule, day: Date): Date {
  return rule.after === 'fiscal-year-end' ? new Date(Date.UTC(day.getUTCFullYear(), 11, 31)) : day;
}

/** The moment the data of a subject whose rule starts on `day` ('YYYY-MM-DD') is past its rule. */
export function retentionEnds(rule: RetentionRule, day: string): Date {
  const from = countFrom(rule, parseDay(day));
  return addMonths(new Date(from.getTime() + DAY_MS), monthsOf(rule));
}

/**
 * The latest start day ('YYYY-MM-DD') whose period has ended at `now`: every subject whose rule
 * starts on or before it is a candidate. Lets a system filter with one indexed comparison.
 */
export function latestDayPastRule(rule: RetentionRule, now: Date): string {
  const months = monthsOf(rule);
  // a first guess one period back, then corrected day by day (a few steps at month ends)
  let day = addMonths(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate())), -months);
  if (rule.after === 'fiscal-year-end') {
    day = new Date(Date.UTC(day.getUTCFullYear(), 11, 31));
    while (retentionEnds(rule, formatDay(day)) > now) day = new Date(Date.UTC(day.getUTCFullYear() - 1, 11, 31));
    return formatDay(day);
  }
  while (retentionEnds(rule, formatDay(day)) > now) day = new Date(day.getTime() - DAY_MS);
  while (retentionEnds(rule, formatDay(new Date(day.getTime() + DAY_MS))) <= now) day = new Date(day.getTime() + DAY_MS);
  return formatDay(day);
}

const START_TEXT: Record<RetentionRule['after'], string> = {
  'employer-contract-end': "the employer's contract ends",
  'customer-contract-end': 'the customer or supplier relationship ends',
  'fiscal-year-end': 'the calendar year in which the fiscal year ends',
  'last-activity': 'the last activity',
};

/** "1 year after the employer's contract ends (bokföringslagen ...)". */
export function describeRule(rule: RetentionRule): string {
  const { years = 0, months = 0 } = rule.period;
  const parts = [years ? `${years} year${years === 1 ? '' : 's'}` : '', months ? `${months} month${months === 1 ? '' : 's'}` : ''].filter(Boolean);
  return `${parts.join(' ') || 'no time'} after ${START_TEXT[rule.after]}${rule.legalBasis ? ` (${rule.legalBasis})` : ''}`;
}
