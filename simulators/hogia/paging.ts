/**
 * Hogia's page/pageSize pagination (pageSize at most 500). ASSUMED list shape:
 * {"items":[...],"page":1,"pageSize":50,"totalCount":123,"totalPages":3}.
 */
import type { Request } from 'express';

export const MAX_PAGE_SIZE = 500;
export const DEFAULT_PAGE_SIZE = 50;

export interface Page<T> {
  items: T[];
  page: number;
  pageSize: number;
  totalCount: number;
  totalPages: number;
}

export type PagingResult = { ok: true; page: number; pageSize: number } | { ok: false; errors: Record<string, string[]> };

function intParam(req: Request, name: string, fallback: number, min: number, max: number, errors: Record<string, string[]>): number {
  const raw = req.query[name];
  if (raw === undefined) return fallback;
  if (typeof raw !== 'string' || !/^-?\d+$/.test(raw)) {
    errors[name] = [`The value '${String(raw)}' is not valid.`];
    return fallback;
  }
  const value = Number(raw);
  if (value < min || value > max) errors[name] = [`The field ${name} must be between ${min} and ${max}.`];
  return value;
}

export function readPaging(req: Request): PagingResult {
  const errors: Record<string, string[]> = {};
  const page = intParam(req, 'page', 1, 1, 2_147_483_647, errors);
  const pageSize = intParam(req, 'pageSize', DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE, errors);
  return Object.keys(errors).length > 0 ? { ok: false, errors } : { ok: true, page, pageSize };
}

export function pageOf<T>(items: T[], page: number, pageSize: number): Page<T> {
  return {
    items: items.slice((page - 1) * pageSize, page * pageSize),
    page,
    pageSize,
    totalCount: items.length,
    totalPages: Math.ceil(items.length / pageSize),
  };
}
