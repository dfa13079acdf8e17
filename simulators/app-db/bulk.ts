import type { DataSource } from 'typeorm';

/** Adds `count` view events for one app user, in multi-row INSERTs (for exports of realistic size). */
export async function addViewEvents(ds: DataSource, userId: number, count: number): Promise<void> {
  const [{ next }] = (await ds.query('SELECT COALESCE(MAX(id), 0) + 1 AS next FROM view_events')) as { next: number }[];
  const batch = 1000;
  for (let start = 0; start < count; start += batch) {
    const n = Math.min(batch, count - start);
    const values: unknown[] = [];
    for (let i = 0; i < n; i++) {
      const k = start + i;
      const second = k % 86_400;
      const at = `2026-0${1 + (k % 9)}-${String(1 + (k % 28)).padStart(2, '0')} ${String(Math.floor(second / 3600)).padStart(2, '0')}:${String(Math.floor((second % 3600) / 60)).padStart(2, '0')}:${String(second % 60).padStart(2, '0')}`;
      values.push(Number(next) + k, userId, 1 + (k % 60), at, 30 + (k % 600), k % 3 === 0 ? 'ios' : 'web');
    }
    await ds.query(`INSERT INTO view_events (id, user_id, content_item_id, viewed_at, duration_seconds, device) VALUES ${new Array(n).fill('(?, ?, ?, ?, ?, ?)').join(', ')}`, values);
  }
}
