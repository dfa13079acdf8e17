import type { RequestHandler } from 'express';
import type { GatewayMetrics } from './metrics';

/**
 * Counts and times every HTTP request. The route label is the matched route template
 * (`/exports/:id/download`) or the mount path (`/graphql`), never the URL: ids and tokens stay out.
 */
export function httpMetrics(metrics: GatewayMetrics): RequestHandler {
  return (req, res, next) => {
    const end = metrics.httpDuration.startTimer();
    res.once('finish', () => {
      const template = (req.route as { path?: unknown } | undefined)?.path;
      const route = typeof template === 'string' ? `${req.baseUrl}${template}` : req.baseUrl || 'other';
      const labels = { method: req.method.length <= 7 ? req.method : 'OTHER', route };
      end(labels);
      metrics.httpRequests.inc({ ...labels, status: String(res.statusCode) });
    });
    next();
  };
}
