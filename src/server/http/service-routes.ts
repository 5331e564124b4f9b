/** The service's own routes: liveness, readiness (stores reachable) and Prometheus metrics. */
import type { FastifyInstance } from 'fastify';
import type { Services } from '../compose.js';
import { json, media, problems } from './openapi.js';
import { problemFor, sendProblem } from './problem.js';

const status = (value: string) => ({ type: 'object', required: ['status'], additionalProperties: false, properties: { status: { const: value } } });

export function serviceRoutes(app: FastifyInstance, { stores, hot, metrics }: Services): void {
  app.get('/healthz', { schema: { summary: 'Liveness', tags: ['service'], response: { 200: json('the process runs', status('ok')) } } }, async () => ({
    status: 'ok',
  }));

  app.get(
    '/readyz',
    {
      schema: {
        summary: 'Readiness: the database and the hot-state store answer',
        tags: ['service'],
        response: { 200: json('ready to serve', status('ready')), ...problems('unavailable') },
      },
    },
    async (_request, reply) => {
      try {
        await Promise.all([stores.ping(), hot.ping()]);
        return { status: 'ready' };
      } catch {
        return sendProblem(reply, problemFor('unavailable', 'a store is unreachable'));
      }
    },
  );

  app.get(
    '/metrics',
    { schema: { summary: 'Prometheus metrics', tags: ['service'], response: { 200: media('Prometheus text exposition format 0.0.4', ['text/plain']) } } },
    async (_request, reply) => reply.type('text/plain; version=0.0.4; charset=utf-8').send(metrics.render()),
  );
}
