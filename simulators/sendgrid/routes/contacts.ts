/**
 * Marketing contacts: search by exact emails, get one, upsert (PUT), delete by ids. Upserts and
 * deletions are asynchronous jobs in SendGrid; here they take effect at once, and deletions are
 * recorded for /__sim/state.
 */
import { randomUUID } from 'node:crypto';
import type { Request, Router } from 'express';
import { normalisedEmail } from '../../people';
import { isoSeconds } from '../../common/random';
import { envelope } from '../errors';
import { isEmail, type SendGridStore } from '../store';
import type { MarketingContact } from '../types';

const view = (req: Request, c: MarketingContact) => ({
  ...c,
  _metadata: { self: `${req.protocol}://${req.get('host')}/v3/marketing/contacts/${c.id}` },
});

/** Text fields of a contact request and their maximum lengths (SendGrid's ContactRequest schema). */
const TEXT_FIELDS = {
  first_name: 50,
  last_name: 50,
  address_line_1: 100,
  address_line_2: 100,
  city: 60,
  state_province_region: 50,
  country: 50,
  postal_code: Infinity,
} as const satisfies Partial<Record<keyof MarketingContact, number>>;
type TextField = keyof typeof TEXT_FIELDS;
const TEXT_FIELD_NAMES = Object.keys(TEXT_FIELDS) as TextField[];
const OTHER_IDENTIFIERS = ['phone_number_id', 'external_id', 'anonymous_id'] as const;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A validation failure of an upsert, in the ContactsError shape (field always named). */
class UpsertError extends Error {
  constructor(readonly field: string, message: string) {
    super(message);
  }
}

interface ContactUpsert {
  email: string;
  text: Partial<Record<TextField, string>>;
  alternate_emails?: string[];
  custom_fields?: Record<string, string | number>;
}

/**
 * One entry of `contacts` as the ContactRequest schema allows it. Properties the schema does not
 * know are ignored. ASSUMED (simulator): contacts are identified by email only; an entry that
 * names another identifier (phone_number_id, external_id, anonymous_id) is refused.
 */
function parseContactRequest(raw: unknown, at: string): ContactUpsert {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new UpsertError(at, 'contact must be an object');
  const c = raw as Record<string, unknown>;
  for (const id of OTHER_IDENTIFIERS) {
    if (c[id] !== undefined) throw new UpsertError(`${at}.${id}`, `${id} is not supported: identify the contact by email`);
  }
  if (typeof c.email !== 'string' || c.email.length > 254 || !isEmail(c.email.trim())) {
    throw new UpsertError(`${at}.email`, 'email must be a valid email address');
  }
  const text: Partial<Record<TextField, string>> = {};
  for (const field of TEXT_FIELD_NAMES) {
    const value = c[field];
    if (value === undefined) continue;
    if (typeof value !== 'string') throw new UpsertError(`${at}.${field}`, `${field} must be a string`);
    if (value.length > TEXT_FIELDS[field]) throw new UpsertError(`${at}.${field}`, `${field} must be at most ${TEXT_FIELDS[field]} characters`);
    text[field] = value;
  }
  const upsert: ContactUpsert = { email: normalisedEmail(c.email), text };
  if (c.alternate_emails !== undefined) {
    const alt = c.alternate_emails;
    if (!Array.isArray(alt) || alt.length > 5 || alt.some((e) => typeof e !== 'string' || e.length > 254 || !isEmail(e.trim()))) {
      throw new UpsertError(`${at}.alternate_emails`, 'alternate_emails must be at most 5 valid email addresses');
    }
    upsert.alternate_emails = (alt as string[]).map(normalisedEmail);
  }
  if (c.custom_fields !== undefined) {
    const cf = c.custom_fields;
    if (typeof cf !== 'object' || cf === null || Array.isArray(cf) || Object.values(cf).some((v) => typeof v !== 'string' && typeof v !== 'number')) {
      throw new UpsertError(`${at}.custom_fields`, 'custom_fields must map field ids to strings or numbers');
    }
    upsert.custom_fields = cf as Record<string, string | number>;
  }
  return upsert;
}

function newContact(email: string, now: string): MarketingContact {
  return {
    id: randomUUID(), first_name: '', last_name: '', unique_name: '', email, alternate_emails: [], address_line_1: '', address_line_2: '',
    city: '', state_province_region: '', country: '', postal_code: '', phone_number: '', whatsapp: '', line: '', facebook: '',
    list_ids: [], segment_ids: [], custom_fields: {}, created_at: now, updated_at: now,
  };
}

export function contactRoutes(router: Router, store: SendGridStore): void {
  /**
   * PUT /v3/marketing/contacts: upsert of up to 30,000 contacts (202 {job_id}). An existing
   * contact (same email, which SendGrid stores in lower case) keeps the fields the request leaves
   * out; `list_ids` are added to its lists.
   */
  router.put('/v3/marketing/contacts', (req, res) => {
    const body: unknown = req.body;
    let upserts: ContactUpsert[];
    let listIds: string[] = [];
    try {
      if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new UpsertError('contacts', 'contacts is required');
      const { contacts, list_ids } = body as Record<string, unknown>;
      if (!Array.isArray(contacts) || contacts.length === 0 || contacts.length > 30000) {
        throw new UpsertError('contacts', 'contacts must contain between 1 and 30000 contacts');
      }
      if (list_ids !== undefined) {
        if (!Array.isArray(list_ids) || list_ids.some((id) => typeof id !== 'string' || !UUID.test(id))) {
          throw new UpsertError('list_ids', 'list_ids must be an array of list ids');
        }
        listIds = list_ids as string[];
      }
      upserts = contacts.map((c, i) => parseContactRequest(c, `contacts[${i}]`));
    } catch (err) {
      if (!(err instanceof UpsertError)) throw err;
      res.status(400).json({ errors: [{ field: err.field, message: err.message }] });
      return;
    }
    const now = isoSeconds(Date.now());
    store.state.change((d) => {
      for (const u of upserts) {
        let contact = d.contacts.find((c) => c.email === u.email);
        if (!contact) {
          contact = newContact(u.email, now);
          d.contacts.push(contact);
        }
        Object.assign(contact, u.text);
        if (u.alternate_emails) contact.alternate_emails = u.alternate_emails;
        if (u.custom_fields) contact.custom_fields = { ...contact.custom_fields, ...u.custom_fields };
        contact.list_ids = [...new Set([...contact.list_ids, ...listIds])];
        contact.updated_at = now;
      }
    });
    res.status(202).json({ job_id: randomUUID() });
  });

  router.post('/v3/marketing/contacts/search/emails', (req, res) => {
    const emails: unknown = req.body?.emails;
    if (!Array.isArray(emails) || emails.some((e) => typeof e !== 'string')) {
      res.status(400).json(envelope('emails must be an array of strings', 'emails'));
      return;
    }
    const wanted = (emails as string[]).filter((e) => e.trim() !== '');
    if (wanted.length === 0 || wanted.length > 100) {
      res.status(400).json(envelope('emails must contain between 1 and 100 addresses', 'emails'));
      return;
    }
    if (wanted.some((e) => !isEmail(e.trim()))) {
      res.status(400).json(envelope('emails contains an invalid email address', 'emails'));
      return;
    }
    const result: Record<string, { contact: unknown } | { error: string }> = {};
    let found = 0;
    for (const raw of wanted) {
      const email = normalisedEmail(raw);
      const contact = store.data.contacts.find((c) => c.email === email || c.alternate_emails.includes(email));
      if (contact) found += 1;
      result[email] = contact ? { contact: view(req, contact) } : { error: 'contact not found' };
    }
    if (found === 0) {
      res.status(404).json(envelope('contacts not found'));
      return;
    }
    res.json({ result });
  });

  router.get('/v3/marketing/contacts/:id', (req, res) => {
    const contact = store.data.contacts.find((c) => c.id === req.params.id);
    if (!contact) {
      res.status(404).json(envelope('Contact not found', 'id'));
      return;
    }
    res.json(view(req, contact));
  });

  router.delete('/v3/marketing/contacts', (req, res) => {
    const ids = typeof req.query.ids === 'string' ? req.query.ids.split(',').map((s) => s.trim()).filter(Boolean) : [];
    const all = req.query.delete_all_contacts === 'true';
    if ((ids.length === 0) === !all) {
      res.status(400).json(envelope("either 'ids' OR 'delete_all_contacts' should be supplied as query param"));
      return;
    }
    const job_id = randomUUID();
    store.state.change((d) => {
      const before = d.contacts.length;
      d.contacts = all ? [] : d.contacts.filter((c) => !ids.includes(c.id));
      d.contactDeletionJobs.push({ job_id, ids: all ? ['*'] : ids, deleted: before - d.contacts.length, received_at: new Date().toISOString() });
    });
    res.status(202).json({ job_id });
  });
}
