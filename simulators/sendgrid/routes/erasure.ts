/**
 * POST /v3/recipients/erasejob: GDPR erasure of recipients' data (202 {job_id}; SendGrid offers
 * no status endpoint). ASSUMED: the job removes the addresses' email activity and keeps their
 * suppressions, so an unsubscribe stays honoured; marketing contacts are deleted by their own API.
 */
import { randomUUID } from 'node:crypto';
import type { Router } from 'express';
import { normalisedEmail } from '../../people';
import { ERASEJOB_PATH } from '../errors';
import { isEmail, type SendGridStore } from '../store';

const MAX_ADDRESSES = 5000;
const MAX_BYTES = 256 * 1024;

const badRequest = (message: string) => ({ errors: [{ message, field: 'email_addresses' }] });

export function erasureRoutes(router: Router, store: SendGridStore): void {
  router.post(ERASEJOB_PATH, (req, res) => {
    const addresses: unknown = req.body?.email_addresses;
    if (Number(req.get('content-length') ?? JSON.stringify(req.body ?? {}).length) > MAX_BYTES) {
      res.status(400).json(badRequest('Payload exceeds 256Kb'));
      return;
    }
    if (!Array.isArray(addresses) || addresses.length === 0) {
      res.status(400).json(badRequest('email_addresses is required'));
      return;
    }
    if (addresses.length > MAX_ADDRESSES) {
      res.status(400).json(badRequest(`email_addresses may contain at most ${MAX_ADDRESSES} addresses`));
      return;
    }
    const invalid = addresses.find((a) => !isEmail(a));
    if (invalid !== undefined) {
      res.status(400).json(badRequest(`Email_address ${String(invalid)} is not valid`));
      return;
    }
    const unique = [...new Set((addresses as string[]).map(normalisedEmail))];
    const job_id = randomUUID();
    store.state.change((d) => {
      const erase = new Set(unique);
      const before = d.messages.length;
      d.messages = d.messages.filter((m) => !erase.has(normalisedEmail(m.to_email)));
      d.eraseJobs.push({ job_id, email_addresses: unique, received_at: new Date().toISOString(), messages_erased: before - d.messages.length });
    });
    store.reindex();
    res.status(202).json({ job_id });
  });
}
