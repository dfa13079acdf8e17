/**
 * URL redaction for logs and error messages. Callers should give paths as templates
 * (`/v3/messages/{id}`) so no value ever reaches a log; this is the backstop for paths that carry
 * values anyway: the query string, fragment and credentials are dropped, and path segments that
 * look like values (emails, numbers, phone numbers, ids, tokens, encoded text) become placeholders.
 */

const TEMPLATE_SEGMENT = /^(\{[\w.-]+\}|:[A-Za-z_]\w*)$/;
const VERSION_SEGMENT = /^v\d+(\.\d+)*([a-z]+\d*)?$/i; // v3, v1.0, v1beta1
const NUMBER_LIKE = /^\+?[\d\s().-]+$/; // 12345, +46 70-123 45 67, 2025-01-31
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PLAIN_WORD = /^[A-Za-z_][A-Za-z_-]*$/; // suppressions, erasejob, offlineUserDataJobs, spam_reports
const FILE_WORD = /^[A-Za-z_][\w-]*\.(json|xml|csv|txt)$/i;

function looksLikeId(s: string): boolean {
  if (UUID.test(s)) return true;
  if (/\d/.test(s) && !VERSION_SEGMENT.test(s)) return true; // pase1578159, 14c5d75ce93.dfd.64b469.filter0001
  return s.length >= 32; // opaque tokens without digits
}

/** Redacts one path segment; placeholders like `{id}` and `:id` are kept. */
export function redactSegment(segment: string): string {
  if (segment === '' || TEMPLATE_SEGMENT.test(segment)) return segment;
  let decoded = segment;
  try {
    decoded = decodeURIComponent(segment);
  } catch {
    return ':value';
  }
  if (decoded.includes('@')) return ':email';
  if (NUMBER_LIKE.test(decoded) && /\d/.test(decoded)) return ':number';
  // Google-style custom verbs: `{resource}:verb`, e.g. `offlineUserDataJobs:create`, `123:run`.
  const colon = decoded.indexOf(':');
  if (colon > 0) {
    const verb = decoded.slice(colon + 1);
    if (PLAIN_WORD.test(verb)) return `${redactSegment(decoded.slice(0, colon))}:${verb}`;
    return ':value';
  }
  if (looksLikeId(decoded)) return ':id';
  if (PLAIN_WORD.test(decoded) || FILE_WORD.test(decoded) || VERSION_SEGMENT.test(decoded)) return decoded;
  return ':value'; // dots, spaces, plus signs, other characters: likely a name or free text
}

/**
 * Returns the URL (absolute or a path) without query string, fragment or user info, with path
 * segments that look like personal data or ids replaced by placeholders.
 *
 *   redactUrl('https://u:p@api.x.com/v3/asm/suppressions/a%40b.se?x=1') ->
 *     'https://api.x.com/v3/asm/suppressions/:email'
 */
export function redactUrl(url: string): string {
  let rest = url;
  const cut = rest.search(/[?#]/);
  if (cut >= 0) rest = rest.slice(0, cut);
  let origin = '';
  const absolute = /^([a-z][a-z0-9+.-]*:\/\/)([^/]*)(.*)$/i.exec(rest);
  if (absolute) {
    origin = absolute[1] + absolute[2].replace(/^.*@/, '');
    rest = absolute[3];
  }
  return origin + rest.split('/').map(redactSegment).join('/');
}
