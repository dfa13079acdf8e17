/**
 * Lime Go's fuzzy search, approximated: case-insensitive token and substring matching. The query
 * is split into words (letters and digits); an item matches when any word occurs inside any of its
 * searchable fields, and ranks by how many words it matched (a field equal to the whole query
 * first). So a search for "anna.lindqvist@northwind.example" also returns other Annas, other
 * Lindqvists and colleagues at Northwind: the caller must filter exact matches itself.
 */

const fold = (s: string): string => s.normalize('NFC').toLowerCase();

export function queryWords(query: string): string[] {
  return fold(query).split(/[^\p{L}\p{N}]+/u).filter((w) => w.length >= 2);
}

/** Items matching the query, best first; all items in their order when the query is empty. */
export function fuzzySearch<T>(items: readonly T[], query: string | null | undefined, fields: (item: T) => (string | null | undefined)[]): T[] {
  const whole = fold((query ?? '').trim());
  const words = queryWords(whole);
  if (whole === '') return [...items];
  const scored: { item: T; score: number; index: number }[] = [];
  items.forEach((item, index) => {
    const values = fields(item).filter((v): v is string => typeof v === 'string' && v !== '').map(fold);
    let score = values.includes(whole) ? 100 : 0;
    for (const w of words) if (values.some((v) => v.includes(w))) score += 1;
    if (score > 0) scored.push({ item, score, index });
  });
  return scored.sort((a, b) => b.score - a.score || a.index - b.index).map((s) => s.item);
}
