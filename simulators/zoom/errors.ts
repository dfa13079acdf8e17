/**
 * Zoom's error envelope, {"code": <number>, "message": "..."}: the HTTP status says what kind of
 * failure, `code` which one (124 invalid access token, 300 invalid field or page token, 1001 user
 * does not exist, 3001 webinar does not exist, 429 rate limit).
 */
import type { Request, Response } from 'express';
import type { ServiceErrors } from '../common/app';

export const INVALID_TOKEN = { code: 124, message: 'Invalid access token.' };
export const RATE_LIMITED =
  'You have reached the maximum per-second rate limit for this API. Try again later.';

export function sendZoomError(res: Response, status: number, code: number, message: string): void {
  res.status(status).json({ code, message });
}

export const zoomErrors: ServiceErrors = {
  body(_req: Request, status: number, message: string) {
    if (status === 401) return INVALID_TOKEN;
    if (status === 429) return { code: 429, message: RATE_LIMITED };
    return { code: status, message };
  },
};
