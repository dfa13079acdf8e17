/** Email activity: GET /v3/messages and GET /v3/messages/{msg_id}. Activity cannot be deleted. */
import type { Router } from 'express';
import { envelope } from '../errors';
import { compileQuery, exactRecipient, QuerySyntaxError } from '../query';
import type { SendGridStore } from '../store';
import type { Message } from '../types';

const summary = (m: Message) => ({
  from_email: m.from_email,
  msg_id: m.msg_id,
  subject: m.subject,
  to_email: m.to_email,
  status: m.status,
  opens_count: m.opens_count,
  clicks_count: m.clicks_count,
  last_event_time: m.last_event_time,
});

const detail = (m: Message) => ({
  from_email: m.from_email,
  msg_id: m.msg_id,
  subject: m.subject,
  to_email: m.to_email,
  status: m.status,
  template_id: m.template_id,
  asm_group_id: m.asm_group_id,
  teammate: m.teammate,
  api_key_id: m.api_key_id,
  events: m.events,
  originating_ip: m.originating_ip,
  categories: m.categories,
  unique_args: m.unique_args,
  outbound_ip: m.outbound_ip,
  outbound_ip_type: m.outbound_ip_type,
});

export function activityRoutes(router: Router, store: SendGridStore): void {
  router.get('/v3/messages', (req, res) => {
    const query = req.query.query;
    if (typeof query !== 'string' || query.trim() === '') {
      res.status(400).json(envelope('query is required', 'query'));
      return;
    }
    const limitText = req.query.limit;
    let limit = 10;
    if (limitText !== undefined) {
      if (typeof limitText !== 'string' || !/^\d+$/.test(limitText) || Number(limitText) < 1 || Number(limitText) > 1000) {
        res.status(400).json(envelope('limit must be an integer between 1 and 1000', 'limit'));
        return;
      }
      limit = Number(limitText);
    }
    let predicate: (m: Message) => boolean;
    try {
      predicate = compileQuery(query);
    } catch (err) {
      if (!(err instanceof QuerySyntaxError)) throw err;
      res.status(400).json(envelope(err.message));
      return;
    }
    const recipient = exactRecipient(query);
    const candidates = recipient !== undefined ? store.messagesTo(recipient) : store.data.messages;
    const messages = candidates
      .filter(predicate)
      .sort((a, b) => b.last_event_time.localeCompare(a.last_event_time) || a.msg_id.localeCompare(b.msg_id))
      .slice(0, limit)
      .map(summary);
    res.json({ messages });
  });

  router.get('/v3/messages/:msg_id', (req, res) => {
    const message = store.message(req.params.msg_id);
    if (!message) {
      res.status(404).json({ errors: [{ message: 'not found', field: 'message_id' }] });
      return;
    }
    res.json(detail(message));
  });
}
