/**
 * POST /requests/:id/systems/:system/files: an operator uploads a file they found in a system
 * without an API, for an access or portability request waiting on it. multipart/form-data with
 * one file in the field `file`; the same bearer token as /graphql, OPERATOR role. The caller and
 * the request are checked before a byte of the body is read. Errors have the GraphQL error shape
 * with the contract's codes: 401 UNAUTHENTICATED, 403 FORBIDDEN, 404 NOT_FOUND, 409 CONFLICT,
 * 400/413/415 BAD_USER_INPUT.
 */
import { mkdirSync } from 'node:fs';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import multer from 'multer';
import type { Services } from './context';
import { ErrorCode, isPublicCode, type ErrorCode as Code } from './errors';
import { UnsupportedTypeError } from './services/upload-type';

const FIELD = 'file';

function fail(res: Response, status: number, code: Code, message: string): void {
  res.status(status).json({ errors: [{ message, extensions: { code } }] });
}

/** HTTP status of a contract code. */
const STATUS: Partial<Record<Code, number>> = {
  [ErrorCode.BAD_USER_INPUT]: 400,
  [ErrorCode.NOT_FOUND]: 404,
  [ErrorCode.CONFLICT]: 409,
  [ErrorCode.FORBIDDEN]: 403,
  [ErrorCode.UNAUTHENTICATED]: 401,
};

export function manualUploadRoute(services: Services): RequestHandler[] {
  const { uploads, operators, logger } = services;
  const options: multer.Options & { defParamCharset: string } = {
    storage: multer.diskStorage({
      destination: (_req, _file, cb) => {
        try {
          mkdirSync(uploads.incomingDir(), { recursive: true, mode: 0o700 });
          cb(null, uploads.incomingDir());
        } catch (e) {
          cb(e as Error, '');
        }
      },
    }),
    limits: { fileSize: uploads.maxBytes, files: 1, fields: 5, parts: 6, fieldSize: 1024 },
    // file names in UTF-8 (the types predate this option)
    defParamCharset: 'utf8',
  };
  const receive = multer(options).single(FIELD);

  const authorise = async (req: Request, res: Response, next: NextFunction) => {
    res.set({ 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
    const header = req.headers.authorization;
    const op = operators.authenticate(Array.isArray(header) ? header[0] : header);
    if (!op) return fail(res, 401, ErrorCode.UNAUTHENTICATED, 'A valid bearer token is required');
    if (!op.roles.includes('OPERATOR')) return fail(res, 403, ErrorCode.FORBIDDEN, 'Your role does not allow this operation');
    try {
      await uploads.check(String(req.params.id), String(req.params.system));
    } catch (e) {
      return sendError(res, e);
    }
    if (!req.is('multipart/form-data')) return fail(res, 415, ErrorCode.BAD_USER_INPUT, `Send the file as multipart/form-data in the field "${FIELD}"`);
    res.locals.operator = op;
    next();
  };

  const body = (req: Request, res: Response, next: NextFunction) =>
    receive(req, res, (err: unknown) => {
      if (!err) return next();
      if (err instanceof multer.MulterError) {
        if (err.code === 'LIMIT_FILE_SIZE') return fail(res, 413, ErrorCode.BAD_USER_INPUT, `The file is larger than ${Math.round(uploads.maxBytes / 1048576)} MB`);
        return fail(res, 400, ErrorCode.BAD_USER_INPUT, `Send one file in the multipart field "${FIELD}"`);
      }
      logger.warn({ errorName: (err as Error)?.name }, 'an upload could not be received');
      return fail(res, 400, ErrorCode.BAD_USER_INPUT, 'The upload could not be read');
    });

  const keep = async (req: Request, res: Response) => {
    const file = req.file;
    if (!file) return fail(res, 400, ErrorCode.BAD_USER_INPUT, `Send one file in the multipart field "${FIELD}"`);
    try {
      const uploaded = await uploads.accept(res.locals.operator, String(req.params.id), String(req.params.system), {
        path: file.path,
        originalName: file.originalname,
        declaredType: file.mimetype,
      });
      res.status(201).json({ file: uploaded });
    } catch (e) {
      if (e instanceof UnsupportedTypeError) return fail(res, 415, ErrorCode.BAD_USER_INPUT, e.message);
      sendError(res, e);
    }
  };

  return [authorise, body, keep];

  function sendError(res: Response, e: unknown): void {
    const code = (e as { extensions?: { code?: unknown } })?.extensions?.code;
    if (isPublicCode(code) && STATUS[code]) return fail(res, STATUS[code]!, code, (e as Error).message);
    logger.error({ errorName: (e as Error)?.name }, 'unexpected error in an upload');
    fail(res, 500, ErrorCode.INTERNAL_SERVER_ERROR, 'Internal server error');
  }
}
