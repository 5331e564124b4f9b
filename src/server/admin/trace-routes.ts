/**
 * `POST /v1/admin/trace?title_id=ID` (issue 13): the admin uploads a leaked copy as the request
 * body and gets `tollgate trace`'s answer. The upload is streamed to a private scratch file,
 * cut off at MAX_UPLOAD_BYTES (413), and removed once traced. Admin-token routes only
 * (registered inside adminRoutes' scope, which checks the token first).
 */
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FastifyInstance } from 'fastify';
import { TollgateError } from '../../core/errors.js';
import { claimStagingDir } from '../catalog/staging-area.js';
import type { Services } from '../compose.js';
import { adminDenials, documentedBody, json, security } from '../http/openapi.js';
import { fail } from '../http/problem.js';
import { idSchema } from '../http/schemas.js';
import { traceLeak } from '../watermark/trace.js';

/** A few minutes of a leak at web quality is tens of megabytes; 1 GiB leaves room for hours. */
const MAX_UPLOAD_BYTES = 1 << 30;

const candidate = {
  type: 'object',
  required: ['session_id', 'user_id', 'device_id', 'agree', 'read', 'p_value', 'confident'],
  properties: {
    session_id: { type: 'string' },
    user_id: { type: 'string' },
    device_id: { type: ['string', 'null'] },
    agree: { type: 'integer' },
    read: { type: 'integer' },
    p_value: { type: 'number' },
    confident: { type: 'boolean' },
  },
};

const traceSchema = {
  summary: "Rank a watermarked title's sessions against a leaked copy (the body: the video file)",
  tags: ['admin'],
  security: security.adminToken,
  querystring: { type: 'object', required: ['title_id'], additionalProperties: false, properties: { title_id: idSchema } },
  documentedBody: documentedBody(['video/mp4', 'application/octet-stream'], { type: 'string', format: 'binary', description: 'the leaked video' }),
  response: {
    200: json('the best candidates, best first', {
      type: 'object',
      required: ['title_id', 'offset_sec', 'segments_read', 'sessions_compared', 'candidates'],
      properties: {
        title_id: { type: 'string' },
        offset_sec: { type: 'number' },
        segments_read: { type: 'integer' },
        sessions_compared: { type: 'integer' },
        candidates: { type: 'array', items: candidate },
      },
    }),
    ...adminDenials('bad_request', 'not_found', 'payload_too_large', 'unsupported_media_type'),
  },
};

export function traceRoutes(admin: FastifyInstance, services: Services): void {
  admin.register(async (scope) => {
    // The body stays a stream: it is written to disk, never held in memory. bodyLimit checks a
    // declared Content-Length; the count below also stops a chunked upload.
    scope.addContentTypeParser(['video/mp4', 'video/mp2t', 'video/quicktime', 'application/octet-stream'], (_request, payload, done) => done(null, payload));
    scope.post<{ Querystring: { title_id: string } }>('/v1/admin/trace', { schema: traceSchema, bodyLimit: MAX_UPLOAD_BYTES }, async (request) => {
      const scratch = await claimStagingDir(services.config.dataDir, 'trace-upload');
      try {
        const file = join(scratch, 'leak');
        let bytes = 0;
        const capped = new Transform({
          transform(chunk: Buffer, _encoding, callback) {
            bytes += chunk.length;
            if (bytes > MAX_UPLOAD_BYTES) callback(new TollgateError('payload_too_large', `the upload is over ${MAX_UPLOAD_BYTES} bytes`));
            else callback(null, chunk);
          },
        });
        await pipeline(request.body as NodeJS.ReadableStream, capped, createWriteStream(file, { mode: 0o600 }));
        const verdict = await traceLeak(services, file, request.query.title_id);
        if (!verdict.ok) fail(verdict);
        return verdict.value;
      } finally {
        await rm(scratch, { recursive: true, force: true });
      }
    });
  });
}
