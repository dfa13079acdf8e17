import { addCalendarMonths, dueDate } from '../src/services/deadline';

const iso = (s: string) => new Date(s);

describe('request deadlines (Art. 12(3))', () => {
  it.each([
    ['2026-01-15T09:30:00.000Z', '2026-02-15T09:30:00.000Z'],
    ['2026-01-31T23:59:59.999Z', '2026-02-28T23:59:59.999Z'],
    ['2024-01-31T08:00:00.000Z', '2024-02-29T08:00:00.000Z'],
    ['2026-03-31T12:00:00.000Z', '2026-04-30T12:00:00.000Z'],
    ['2026-12-31T00:00:00.000Z', '2027-01-31T00:00:00.000Z'],
    ['2026-02-28T10:00:00.000Z', '2026-03-28T10:00:00.000Z'],
  ])('one month after %s is %s', (received, due) => {
    expect(dueDate(iso(received), false).toISOString()).toBe(due);
  });

  it('an extension counts three months from receipt, not two from the first deadline', () => {
    expect(dueDate(iso('2025-01-31T10:00:00.000Z'), true).toISOString()).toBe('2025-04-30T10:00:00.000Z');
    expect(addCalendarMonths(addCalendarMonths(iso('2025-01-31T10:00:00.000Z'), 1), 2).toISOString()).toBe('2025-04-28T10:00:00.000Z');
    expect(dueDate(iso('2025-11-30T10:00:00.000Z'), true).toISOString()).toBe('2026-02-28T10:00:00.000Z');
  });
});
