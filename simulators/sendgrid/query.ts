/**
 * A subset of SendGrid's email activity query language (GET /v3/messages?query=...):
 *
 *   to_email="a@b.se"             field = / != "string"     (email fields compare case-insensitively)
 *   subject LIKE "%digest%"       LIKE / NOT LIKE, % as wildcard
 *   status IN ("delivered","not_delivered")                  IN / NOT IN
 *   asm_group_id=18102            numbers: = != < <= > >=  (also opens_count, clicks_count)
 *   last_event_time BETWEEN TIMESTAMP "2026-11-01T00:00:00Z" AND TIMESTAMP "2026-11-25T00:00:00Z"
 *   ... AND ... OR ... NOT ... ( ... )
 *
 * A field SendGrid does not know is "invalid syntax: 'x' is not a known field", as in its spec.
 */
import type { Message } from './types';

export class QuerySyntaxError extends Error {}

type Predicate = (m: Message) => boolean;

const EMAIL_FIELDS = new Set(['to_email', 'from_email']);
const STRING_FIELDS = new Set([
  'msg_id', 'from_email', 'subject', 'to_email', 'status', 'template_id', 'api_key_id', 'originating_ip',
  'outbound_ip', 'outbound_ip_type', 'teammate',
]);
const NUMBER_FIELDS: Record<string, (m: Message) => number> = {
  asm_group_id: (m) => m.asm_group_id,
  opens_count: (m) => m.opens_count,
  clicks_count: (m) => m.clicks_count,
  opens: (m) => m.opens_count,
  clicks: (m) => m.clicks_count,
};
/** Fields SendGrid knows that this simulator does not filter on. */
const KNOWN_UNSUPPORTED = new Set(['events', 'categories', 'unique_args', 'marketing_campaign_id', 'marketing_campaign_name']);

type Token =
  | { kind: 'word'; text: string }
  | { kind: 'string'; text: string }
  | { kind: 'number'; value: number }
  | { kind: 'op'; text: string };

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i];
    if (/\s/.test(c)) {
      i += 1;
    } else if (c === '"' || c === "'") {
      let text = '';
      let j = i + 1;
      for (; j < input.length && input[j] !== c; j++) {
        if (input[j] === '\\' && j + 1 < input.length) j += 1;
        text += input[j];
      }
      if (j >= input.length) throw new QuerySyntaxError('invalid syntax: unterminated string');
      tokens.push({ kind: 'string', text });
      i = j + 1;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(input.slice(i))!;
      tokens.push({ kind: 'word', text: m[0] });
      i += m[0].length;
    } else if (/[0-9-]/.test(c)) {
      const m = /^-?\d+(\.\d+)?/.exec(input.slice(i));
      if (!m) throw new QuerySyntaxError(`invalid syntax: unexpected '${c}'`);
      tokens.push({ kind: 'number', value: Number(m[0]) });
      i += m[0].length;
    } else {
      const m = /^(!=|<>|<=|>=|=|<|>|\(|\)|,)/.exec(input.slice(i));
      if (!m) throw new QuerySyntaxError(`invalid syntax: unexpected '${c}'`);
      tokens.push({ kind: 'op', text: m[0] });
      i += m[0].length;
    }
  }
  return tokens;
}

function likeToRegExp(pattern: string, caseInsensitive: boolean): RegExp {
  const body = pattern.split('%').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  return new RegExp(`^${body}$`, caseInsensitive ? 'is' : 's');
}

class Parser {
  private pos = 0;
  constructor(private readonly tokens: Token[]) {}

  parse(): Predicate {
    const predicate = this.or();
    if (this.pos < this.tokens.length) throw new QuerySyntaxError('invalid syntax: unexpected input after the expression');
    return predicate;
  }

  private peekWord(word: string, offset = 0): boolean {
    const t = this.tokens[this.pos + offset];
    return t?.kind === 'word' && t.text.toUpperCase() === word;
  }

  private peekOp(op: string): boolean {
    const t = this.tokens[this.pos];
    return t?.kind === 'op' && t.text === op;
  }

  private expectWord(word: string): void {
    if (!this.peekWord(word)) throw new QuerySyntaxError(`invalid syntax: expected ${word}`);
    this.pos += 1;
  }

  private expectOp(op: string): void {
    if (!this.peekOp(op)) throw new QuerySyntaxError(`invalid syntax: expected '${op}'`);
    this.pos += 1;
  }

  private or(): Predicate {
    let left = this.and();
    while (this.peekWord('OR')) {
      this.pos += 1;
      const l = left;
      const r = this.and();
      left = (m) => l(m) || r(m);
    }
    return left;
  }

  private and(): Predicate {
    let left = this.unary();
    while (this.peekWord('AND')) {
      this.pos += 1;
      const l = left;
      const r = this.unary();
      left = (m) => l(m) && r(m);
    }
    return left;
  }

  private unary(): Predicate {
    if (this.peekWord('NOT')) {
      this.pos += 1;
      const inner = this.unary();
      return (m) => !inner(m);
    }
    if (this.peekOp('(')) {
      this.pos += 1;
      const inner = this.or();
      this.expectOp(')');
      return inner;
    }
    return this.comparison();
  }

  private string(): string {
    const t = this.tokens[this.pos];
    if (t?.kind !== 'string') throw new QuerySyntaxError('invalid syntax: expected a quoted string');
    this.pos += 1;
    return t.text;
  }

  private number(): number {
    const t = this.tokens[this.pos];
    if (t?.kind !== 'number') throw new QuerySyntaxError('invalid syntax: expected a number');
    this.pos += 1;
    return t.value;
  }

  private timestamp(): number {
    this.expectWord('TIMESTAMP');
    const text = this.string();
    const ms = Date.parse(text);
    if (Number.isNaN(ms)) throw new QuerySyntaxError(`invalid syntax: '${text}' is not a timestamp`);
    return ms;
  }

  private comparison(): Predicate {
    const t = this.tokens[this.pos];
    if (t?.kind !== 'word') throw new QuerySyntaxError('invalid syntax: expected a field name');
    this.pos += 1;
    const field = t.text;
    if (STRING_FIELDS.has(field)) return this.stringComparison(field as keyof Message);
    if (field in NUMBER_FIELDS) return this.numberComparison(NUMBER_FIELDS[field]);
    if (field === 'last_event_time') return this.timeComparison();
    if (KNOWN_UNSUPPORTED.has(field)) throw new QuerySyntaxError(`invalid syntax: filtering on '${field}' is not supported`);
    throw new QuerySyntaxError(`invalid syntax: '${field}' is not a known field`);
  }

  private stringComparison(field: keyof Message): Predicate {
    const ci = EMAIL_FIELDS.has(field);
    const norm = (s: string) => (ci ? s.normalize('NFC').toLowerCase() : s);
    const get = (m: Message) => norm(String(m[field]));
    const negated = this.peekWord('NOT');
    if (negated) this.pos += 1;
    let predicate: Predicate;
    if (this.peekWord('LIKE')) {
      this.pos += 1;
      const re = likeToRegExp(this.string(), ci);
      predicate = (m) => re.test(String(m[field]));
    } else if (this.peekWord('IN')) {
      this.pos += 1;
      this.expectOp('(');
      const values = new Set([norm(this.string())]);
      while (this.peekOp(',')) {
        this.pos += 1;
        values.add(norm(this.string()));
      }
      this.expectOp(')');
      predicate = (m) => values.has(get(m));
    } else if (!negated && (this.peekOp('=') || this.peekOp('!=') || this.peekOp('<>'))) {
      const op = (this.tokens[this.pos++] as { text: string }).text;
      const value = norm(this.string());
      return op === '=' ? (m) => get(m) === value : (m) => get(m) !== value;
    } else {
      throw new QuerySyntaxError(`invalid syntax: expected an operator after '${String(field)}'`);
    }
    return negated ? (m) => !predicate(m) : predicate;
  }

  private numberComparison(get: (m: Message) => number): Predicate {
    const t = this.tokens[this.pos];
    if (t?.kind !== 'op' || !['=', '!=', '<>', '<', '<=', '>', '>='].includes(t.text)) {
      throw new QuerySyntaxError('invalid syntax: expected a comparison operator');
    }
    this.pos += 1;
    const v = this.number();
    return compare(t.text, get, v);
  }

  private timeComparison(): Predicate {
    const get = (m: Message) => Date.parse(m.last_event_time);
    if (this.peekWord('BETWEEN')) {
      this.pos += 1;
      const from = this.timestamp();
      this.expectWord('AND');
      const to = this.timestamp();
      return (m) => get(m) >= from && get(m) <= to;
    }
    const t = this.tokens[this.pos];
    if (t?.kind !== 'op' || !['=', '!=', '<>', '<', '<=', '>', '>='].includes(t.text)) {
      throw new QuerySyntaxError('invalid syntax: expected BETWEEN or a comparison operator');
    }
    this.pos += 1;
    return compare(t.text, get, this.timestamp());
  }
}

function compare(op: string, get: (m: Message) => number, v: number): Predicate {
  switch (op) {
    case '=': return (m) => get(m) === v;
    case '<': return (m) => get(m) < v;
    case '<=': return (m) => get(m) <= v;
    case '>': return (m) => get(m) > v;
    case '>=': return (m) => get(m) >= v;
    default: return (m) => get(m) !== v;
  }
}

/** Compiles a query into a message filter; throws QuerySyntaxError for what SendGrid would reject. */
export function compileQuery(query: string): Predicate {
  const tokens = tokenize(query);
  if (tokens.length === 0) throw new QuerySyntaxError('invalid syntax: empty query');
  return new Parser(tokens).parse();
}

/** The exact recipient a query asks for when it is just to_email="...", for an index lookup. */
export function exactRecipient(query: string): string | undefined {
  const m = /^\s*to_email\s*=\s*"([^"\\]*)"\s*$/.exec(query);
  return m ? m[1].normalize('NFC').toLowerCase() : undefined;
}
