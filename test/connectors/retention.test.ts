import type { RetentionRule } from '../../src/connectors/connector';
import { invoiceRetainedUntil } from '../../src/connectors/hogia/hogia.retention';
import { describeRule, formatDay, latestDayPastRule, parseDay, retentionEnds } from '../../src/connectors/retention';

const YEAR_AFTER_CONTRACT: RetentionRule = { after: 'employer-contract-end', period: { years: 1 } };
const BOOKKEEPING: RetentionRule = { after: 'fiscal-year-end', period: { years: 7 }, legalBasis: 'bokföringslagen 7 kap. 2 §' };
const iso = (d: Date) => d.toISOString();

describe('retention rule dates', () => {
  it('1 year after the contract ends: past the rule from the day after the anniversary of the last day', () => {
    expect(iso(retentionEnds(YEAR_AFTER_CONTRACT, '2025-06-30'))).toBe('2026-07-01T00:00:00.000Z');
    expect(iso(retentionEnds(YEAR_AFTER_CONTRACT, '2025-12-31'))).toBe('2027-01-01T00:00:00.000Z');
    // a contract ending on a leap day: the day after it is 1 March, a year later 1 March again
    expect(iso(retentionEnds(YEAR_AFTER_CONTRACT, '2024-02-29'))).toBe('2025-03-01T00:00:00.000Z');
    expect(iso(retentionEnds(YEAR_AFTER_CONTRACT, '2024-02-28'))).toBe('2025-02-28T00:00:00.000Z');
  });

  it('months at month ends keep the last day of a shorter month', () => {
    const month: RetentionRule = { after: 'last-activity', period: { months: 1 } };
    expect(iso(retentionEnds(month, '2025-01-30'))).toBe('2025-02-28T00:00:00.000Z');
    expect(iso(retentionEnds(month, '2025-01-31'))).toBe('2025-03-01T00:00:00.000Z');
    expect(iso(retentionEnds({ after: 'last-activity', period: { years: 1, months: 6 } }, '2025-08-31'))).toBe('2027-03-01T00:00:00.000Z');
  });

  it('bokföringslagen: through the seventh calendar year after the one in which the fiscal year ended', () => {
    expect(iso(retentionEnds(BOOKKEEPING, '2024-12-31'))).toBe('2032-01-01T00:00:00.000Z');
    // a fiscal year ending 30 June 2025 ends in calendar year 2025: kept through 2032-12-31
    expect(iso(retentionEnds(BOOKKEEPING, '2025-06-30'))).toBe('2033-01-01T00:00:00.000Z');
    // the same moment Hogia's erasure gives as the invoices' retainedUntil, one millisecond later
    for (const [invoiceDate, startMonth, fiscalEnd] of [
      ['2024-03-15', 1, '2024-12-31'],
      ['2024-09-10', 7, '2025-06-30'],
      ['2025-05-31', 7, '2025-06-30'],
    ] as const) {
      expect(retentionEnds(BOOKKEEPING, fiscalEnd).getTime()).toBe(invoiceRetainedUntil(invoiceDate, startMonth)!.getTime() + 1);
    }
  });

  it('latestDayPastRule is the last start day whose period has ended, exactly at the boundary', () => {
    expect(latestDayPastRule(YEAR_AFTER_CONTRACT, new Date('2026-11-25T10:00:00Z'))).toBe('2025-11-24');
    expect(latestDayPastRule(YEAR_AFTER_CONTRACT, new Date('2026-11-25T00:00:00.000Z'))).toBe('2025-11-24');
    expect(latestDayPastRule(YEAR_AFTER_CONTRACT, new Date('2026-11-24T23:59:59.999Z'))).toBe('2025-11-23');
    expect(latestDayPastRule(YEAR_AFTER_CONTRACT, new Date('2025-03-01T00:00:00Z'))).toBe('2024-02-29');
    expect(latestDayPastRule(YEAR_AFTER_CONTRACT, new Date('2025-02-28T12:00:00Z'))).toBe('2024-02-28');
    expect(latestDayPastRule(BOOKKEEPING, new Date('2032-01-01T00:00:00Z'))).toBe('2024-12-31');
    expect(latestDayPastRule(BOOKKEEPING, new Date('2031-12-31T23:59:59.999Z'))).toBe('2023-12-31');
  });

  it('agrees with retentionEnds for every start day over seven years and many moments', () => {
    const rules: RetentionRule[] = [YEAR_AFTER_CONTRACT, BOOKKEEPING, { after: 'last-activity', period: { months: 13 } }];
    const nows = ['2026-02-28T12:00:00Z', '2026-03-01T00:00:00Z', '2028-02-29T06:00:00Z', '2027-12-31T23:59:59.999Z', '2035-07-15T00:00:00Z'].map((t) => new Date(t));
    for (const rule of rules) {
      for (const now of nows) {
        const latest = latestDayPastRule(rule, now);
        const disagreeing: string[] = [];
        for (let t = parseDay('2023-01-01').getTime(); t <= parseDay('2029-12-31').getTime(); t += 86_400_000) {
          const day = formatDay(new Date(t));
          if (retentionEnds(rule, day) <= now !== day <= latest) disagreeing.push(day);
        }
        expect(disagreeing).toEqual([]);
      }
    }
  });

  it('describes a rule for people', () => {
    expect(describeRule(YEAR_AFTER_CONTRACT)).toBe("1 year after the employer's contract ends");
    expect(describeRule(BOOKKEEPING)).toBe('7 years after the calendar year in which the fiscal year ends (bokföringslagen 7 kap. 2 §)');
  });

  it('refuses dates that do not exist', () => {
    expect(() => retentionEnds(YEAR_AFTER_CONTRACT, '2025-02-29')).toThrow(RangeError);
    expect(() => retentionEnds(YEAR_AFTER_CONTRACT, '25-02-01')).toThrow(RangeError);
  });
});
