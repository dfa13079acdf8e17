/**
 * Suppressions: global unsubscribes (GET/POST/DELETE), group suppressions of one address, and
 * the bounces, blocks, spam_reports and invalid_emails lists (GET/DELETE by address). Addresses
 * match case-insensitively; DELETE of an address that is not listed is a 204 as well.
 */
import type { Router } from 'express';
import { normalisedEmail } from '../../people';
import { envelope } from '../errors';
import { isEmail, type SendGridStore } from '../store';
import type { SendGridState, SuppressionKind } from '../types';

const LISTS: Record<SuppressionKind, 'bounces' | 'blocks' | 'spamReports' | 'invalidEmails'> = {
  bounces: 'bounces',
  blocks: 'blocks',
  spam_reports: 'spamReports',
  invalid_emails: 'invalidEmails',
};

const isKind = (value: string): value is SuppressionKind => Object.hasOwn(LISTS, value);

function removeByEmail(list: { email: string }[], email: string): void {
  for (let i = list.length - 1; i >= 0; i--) if (list[i].email === email) list.splice(i, 1);
}

export function suppressionRoutes(router: Router, store: SendGridStore): void {
  const data = (): SendGridState => store.data;

  router.get('/v3/asm/suppressions/global/:email', (req, res) => {
    const email = normalisedEmail(req.params.email);
    const found = data().globalUnsubscribes.find((u) => u.email === email);
    res.json(found ? { recipient_email: found.email } : {});
  });

  router.post('/v3/asm/suppressions/global', (req, res) => {
    const emails: unknown = req.body?.recipient_emails;
    if (!Array.isArray(emails) || emails.length === 0) {
      res.status(400).json(envelope('recipient_emails must be a non-empty array of email addresses', 'recipient_emails'));
      return;
    }
    const invalid = emails.find((e) => !isEmail(e));
    if (invalid !== undefined) {
      res.status(400).json(envelope('recipient_emails contains an invalid email address', 'recipient_emails'));
      return;
    }
    const created = Math.floor(Date.now() / 1000);
    store.state.change((d) => {
      for (const e of emails as string[]) {
        const email = normalisedEmail(e);
        if (!d.globalUnsubscribes.some((u) => u.email === email)) d.globalUnsubscribes.push({ email, created });
      }
    });
    res.status(201).json({ recipient_emails: emails });
  });

  router.delete('/v3/asm/suppressions/global/:email', (req, res) => {
    const email = normalisedEmail(req.params.email);
    store.state.change((d) => {
      d.globalUnsubscribes = d.globalUnsubscribes.filter((u) => u.email !== email);
    });
    res.status(204).end();
  });

  router.get('/v3/asm/suppressions/:email', (req, res) => {
    const email = normalisedEmail(req.params.email);
    const suppressions = data().groups.map((g) => ({
      description: g.description,
      id: g.id,
      is_default: g.is_default,
      name: g.name,
      suppressed: (data().groupUnsubscribes[String(g.id)] ?? []).includes(email),
    }));
    res.json({ suppressions });
  });

  router.get('/v3/suppression/:kind/:email', (req, res, next) => {
    const kind = req.params.kind;
    if (!isKind(kind)) return next();
    const email = normalisedEmail(req.params.email);
    res.json(data()[LISTS[kind]].filter((r) => r.email === email));
  });

  router.delete('/v3/suppression/:kind/:email', (req, res, next) => {
    const kind = req.params.kind;
    if (!isKind(kind)) return next();
    const email = normalisedEmail(req.params.email);
    store.state.change((d) => removeByEmail(d[LISTS[kind]], email));
    res.status(204).end();
  });
}
