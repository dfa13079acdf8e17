/**
 * SendGrid's error envelope: {"errors":[{"field":string|null,"message":string}]}. The recipients
 * data erasure API has its own variant (field always a string; 401 "Failed to authenticate"), as
 * its OpenAPI spec shows.
 */
import type { Request } from 'express';
import type { ServiceErrors } from '../common/app';

export const ERASEJOB_PATH = '/v3/recipients/erasejob';

export interface SendGridErrorItem {
  field: string | null;
  message: string;
}

export const envelope = (message: string, field: string | null = null): { errors: SendGridErrorItem[] } => ({
  errors: [{ field, message }],
});

const ERASEJOB_MESSAGES: Record<number, string> = {
  401: 'Failed to authenticate',
  403: 'Not authorized',
  404: 'Not Found',
  429: 'too many requests',
  500: 'Internal Server Error',
};

export const sendGridErrors: ServiceErrors = {
  body(req: Request, status: number, message: string) {
    if (req.path === ERASEJOB_PATH) {
      return { errors: [{ message: ERASEJOB_MESSAGES[status] ?? message, field: '' }] };
    }
    return envelope(status === 401 ? 'authorization required' : message.toLowerCase());
  },
};
