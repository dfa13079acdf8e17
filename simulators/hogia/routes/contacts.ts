/**
 * Contacts: GET /{org}/contacts?number=&email=&page=&pageSize=, GET /{org}/contacts/{id}, and
 * updates by PUT (the whole writable contact) or PATCH (JSON merge patch), both with the current
 * `version` for optimistic concurrency (409 when it changed meanwhile).
 *
 * ASSUMED (not publicly documented): the `email` filter (exact, case-insensitive, over Email
 * channels and the e-invoice address), the update endpoints and their `version` rule.
 */
import type { Request, Response, Router } from 'express';
import { normalisedEmail } from '../../people';
import { pageOf, readPaging } from '../paging';
import { problem, sendProblem, sendValidationProblem } from '../problem';
import type { ChannelType, Contact, HogiaState } from '../types';

const CHANNEL_TYPES: ChannelType[] = ['Email', 'Phone', 'Mobile'];
const WRITABLE = ['givenName', 'surName', 'companyName', 'identificationNumber', 'contactChannels', 'addresses', 'customer'] as const;
type Writable = Pick<Contact, (typeof WRITABLE)[number]>;

function emailsOf(c: Contact): string[] {
  const emails = c.contactChannels.filter((ch) => ch.type === 'Email').map((ch) => ch.value);
  if (c.customer?.eInvoiceReceiverEmail) emails.push(c.customer.eInvoiceReceiverEmail);
  return emails.map(normalisedEmail);
}

/** Field errors of a (merged) contact, keyed as ASP.NET model binding keys them. */
function validate(c: Writable): Record<string, string[]> {
  const errors: Record<string, string[]> = {};
  const text = (name: string, v: unknown) => {
    if (v !== null && typeof v !== 'string') errors[name] = [`The field ${name} must be a string or null.`];
  };
  text('givenName', c.givenName);
  text('surName', c.surName);
  text('companyName', c.companyName);
  text('identificationNumber', c.identificationNumber);
  if (!Array.isArray(c.contactChannels)) errors.contactChannels = ['The contactChannels field is required.'];
  else {
    c.contactChannels.forEach((ch, i) => {
      if (typeof ch !== 'object' || ch === null || !CHANNEL_TYPES.includes(ch.type)) errors[`contactChannels[${i}].type`] = [`The type must be one of ${CHANNEL_TYPES.join(', ')}.`];
      else if (typeof ch.value !== 'string' || ch.value.trim() === '') errors[`contactChannels[${i}].value`] = ['The value field is required.'];
    });
  }
  if (!Array.isArray(c.addresses)) errors.addresses = ['The addresses field is required.'];
  if (c.customer !== null && (typeof c.customer !== 'object' || Array.isArray(c.customer))) errors.customer = ['The customer field must be an object or null.'];
  if (!c.givenName && !c.surName && !c.companyName) errors.name = ['A contact needs a name or a company name.'];
  return errors;
}

export function contactRoutes(router: Router, state: { data: HogiaState; change<R>(apply: (d: HogiaState) => R): R }): void {
  const find = (id: unknown) => state.data.contacts.find((c) => c.id.toLowerCase() === String(id).toLowerCase());

  router.get('/contacts', (req, res) => {
    const paging = readPaging(req);
    if (!paging.ok) return sendValidationProblem(res, paging.errors);
    const { number, email } = req.query;
    let contacts = state.data.contacts;
    if (typeof number === 'string' && number !== '') contacts = contacts.filter((c) => c.number === number);
    if (typeof email === 'string' && email !== '') {
      const wanted = normalisedEmail(email);
      contacts = contacts.filter((c) => emailsOf(c).includes(wanted));
    }
    res.json(pageOf(contacts, paging.page, paging.pageSize));
  });

  router.get('/contacts/:id', (req, res) => {
    const contact = find(req.params.id);
    if (!contact) return sendProblem(res, problem(404));
    res.json(contact);
  });

  const update = (merge: boolean) => (req: Request, res: Response) => {
    const contact = find(req.params.id);
    if (!contact) return sendProblem(res, problem(404));
    const body = req.body as Record<string, unknown> | undefined;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return sendValidationProblem(res, { '': ['A non-empty request body is required.'] });
    if (typeof body.version !== 'number' || !Number.isInteger(body.version)) return sendValidationProblem(res, { version: ['The version field is required.'] });
    if (body.version !== contact.version) {
      return sendProblem(res, problem(409, { detail: `The contact was changed by someone else: version ${contact.version} is current, the update was based on ${body.version}.` }));
    }
    const next: Writable = { ...contact };
    for (const key of WRITABLE) {
      if (merge && !(key in body)) continue;
      const value = body[key];
      if (key === 'customer' && merge && value !== null && typeof value === 'object' && contact.customer) {
        (next as Record<string, unknown>)[key] = { ...contact.customer, ...(value as object) };
      } else {
        (next as Record<string, unknown>)[key] = value === undefined ? (key === 'contactChannels' || key === 'addresses' ? [] : null) : value;
      }
    }
    const errors = validate(next);
    if (Object.keys(errors).length > 0) return sendValidationProblem(res, errors);
    const updated = state.change(() => {
      Object.assign(contact, next, { version: contact.version + 1, updatedDate: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') });
      return contact;
    });
    res.json(updated);
  };
  router.put('/contacts/:id', update(false));
  router.patch('/contacts/:id', update(true));
}
