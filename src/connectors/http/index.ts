/** The HTTP client every HTTP connector uses: see http-client.ts. */
export {
  HttpClient,
  type AuthProvider,
  type BreakerState,
  type BreakerStateChange,
  type HeaderMap,
  type HttpClientOptions,
  type HttpExchange,
  type HttpLogger,
  type HttpMethod,
  type HttpRequest,
  type HttpResponse,
  type QueryValue,
} from './http-client';
export {
  CircuitOpenError,
  DeadlineError,
  HttpClientError,
  HttpError,
  NetworkError,
  TimeoutError,
  isHttpClientError,
  type HttpClientErrorCode,
} from './errors';
export { ClientCredentialsTokenProvider, type ClientCredentialsOptions } from './oauth2';
export { deadlineOf, markDeadline, untilAborted, withDeadline } from './deadline';
export { parseRateLimitReset, parseRetryAfter, requestedWaitMs } from './rate-limit';
export { redactSegment, redactUrl } from './redact';
export { createHttpClient, httpSettingsSchema, parseSettings, secretSetting, type HttpSettings } from './settings';
export { Pacer } from './pacer';
export { FairSlots, onBehalfOf } from './fair-slots';
