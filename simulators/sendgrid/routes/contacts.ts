/**
 * Marketing contacts: search by exact emails, get one, delete by ids (an asynchronous job in
 * SendGrid; here the contacts disappear at once and the job is recorded for /__sim/state).
 */
import { randomUUID } from 'node:crypto';
import type { Request, Router } from 'express';
import { normalisedEmail } from '../../people';
import { envelope } from '../errors';
import { isEmail, type SendGridStore } from '../store';
import type { MarketingContact } from '../types';

const view = (req: Request, c: MarketingContact) => ({
  ...c,
  _metadata: { self: `${req.protocol}://${req.get('host')}/v3/marketing/contacts/${c.id}` },
});

export function contactRoutes(router: Router, store: SendGridStore): void {
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
