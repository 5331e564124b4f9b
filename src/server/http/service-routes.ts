/** The service's own routes: liveness, readiness (stores reachable) and Prometheus metrics. */
import type { FastifyInstance } from 'fastify';
import type { Services } from '../compose.js';
import { json, media, problems } from './openapi.js';
import { problemFor, sendProblem } from './problem.js';
import { notReady } from './readiness.js';
import { STORE_RETRY_AFTER_SEC } from '../stores/unavailable.js';

const status = (value: string) => ({ type: 'object', required: ['status'], additionalProperties: false, properties: { status: { const: value } } });

export function serviceRoutes(app: FastifyInstance, { stores, hot, metrics, config }: Services): void {
  app.get('/healthz', { schema: { summary: 'Liveness', tags: ['service'], response: { 200: json('the process runs', status('ok')) } } }, async () => ({
    status: 'ok',
  }));

  app.get(
    '/readyz',
    {
      schema: {
        summary: 'Readiness: the database and the hot-state store answer in time, and the data directory has free space',
        tags: ['service'],
        response: { 200: json('ready to serve', status('ready')), ...problems('unavailable') },
      },
    },
    async (_request, reply) => {
      const problems = await notReady({ stores, hot, dataDir: config.dataDir, timeoutMs: config.readinessTimeoutMs, diskMinFreeMb: config.diskMinFreeMb });
      if (problems.length === 0) return { status: 'ready' };
      return sendProblem(reply, problemFor('unavailable', `not ready: ${problems.join('; ')}`), STORE_RETRY_AFTER_SEC);
    },
  );

  app.get(
    '/metrics',
    { schema: { summary: 'Prometheus metrics', tags: ['service'], response: { 200: media('Prometheus text exposition format 0.0.4', ['text/plain']) } } },
    async (_request, reply) => reply.type('text/plain; version=0.0.4; charset=utf-8').send(await metrics.render()),
  );
}
