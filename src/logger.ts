import pino, { type Logger } from 'pino';

/**
 * Structured JSON logs. Identifiers, tokens and record contents never reach a log line: the
 * redaction list covers the keys the code uses for them, wherever they sit in a log object.
 */
export const REDACTED_KEYS = [
  'email', 'phone', 'appUserId', 'customerNumber', 'crmPersonId', 'identifiers', 'subject',
  'records', 'token', 'authorization', 'hmacKey', 'password', 'key', 'value', 'variables',
  'jwt', 'accessToken', 'access_token', 'idToken', 'id_token', 'refreshToken', 'refresh_token',
  'apiKey', 'secret', 'clientSecret', 'client_secret', 'cookie', 'preferred_username', 'upn',
];

/**
 * Lines go to stdout as they are logged (synchronously): nothing is left to flush when the process
 * ends, and a reader that went away (a closed pipe) only silences the log. Buffered asynchronous
 * writes are flushed at exit by a loop that retries a broken pipe for ever.
 */
export function createLogger(level: string, destination: pino.DestinationStream = pino.destination({ dest: 1, sync: true })): Logger {
  const paths = REDACTED_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]);
  paths.push('req.headers.authorization', 'req.headers.cookie');
  return pino(
    {
      level,
      base: { service: 'dsr-gateway' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}

export type { Logger };
