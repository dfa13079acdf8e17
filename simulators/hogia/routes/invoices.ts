/**
 * Customer invoices. ASSUMED (not publicly documented), and the path is configurable:
 * GET /{org}/customerinvoices?contactId=&customerNumber=&yourReference=&page=&pageSize= and
 * GET /{org}/customerinvoices/{id}. contactId and customerNumber select the customer the invoice
 * is made out to; yourReference matches the reference exactly (case-insensitive), which is how a
 * company's invoices name its contact person.
 */
import type { Router } from 'express';
import { pageOf, readPaging } from '../paging';
import { problem, sendProblem, sendValidationProblem } from '../problem';
import type { HogiaState } from '../types';

const fold = (s: string) => s.normalize('NFC').trim().toLowerCase();

export function invoiceRoutes(router: Router, state: { data: HogiaState }, path: string): void {
  router.get(path, (req, res) => {
    const paging = readPaging(req);
    if (!paging.ok) {
      sendValidationProblem(res, paging.errors);
      return;
    }
    const { contactId, customerNumber, yourReference } = req.query;
    let invoices = state.data.invoices;
    if (typeof contactId === 'string' && contactId !== '') invoices = invoices.filter((i) => i.invoiceHeader.customerId.toLowerCase() === contactId.toLowerCase());
    if (typeof customerNumber === 'string' && customerNumber !== '') invoices = invoices.filter((i) => i.invoiceHeader.customerNumber === customerNumber);
    if (typeof yourReference === 'string' && yourReference !== '') {
      const wanted = fold(yourReference);
      invoices = invoices.filter((i) => i.invoiceHeader.yourReference !== null && fold(i.invoiceHeader.yourReference) === wanted);
    }
    res.json(pageOf(invoices, paging.page, paging.pageSize));
  });

  router.get(`${path}/:id`, (req, res) => {
    const invoice = state.data.invoices.find((i) => i.id.toLowerCase() === String(req.params.id).toLowerCase());
    if (!invoice) {
      sendProblem(res, problem(404));
      return;
    }
    res.json(invoice);
  });
}
