/**
 * One simulated client of Tollgate: logs in, starts titles and fetches what a player fetches
 * (master and media playlists, the key, segments), each request from the address it is on now.
 * Requests go through the real app (Fastify inject) with that address as the peer.
 */
import type { FastifyInstance } from 'fastify';
import { RENDITIONS, SEGMENT_SEC } from './catalog.js';

export interface Stream {
  readonly sessionId: string;
  readonly manifestUrl: string;
  /** The AES-128 key's URL, from the media playlist (set by `open`). */
  keyUrl?: string;
}

export class Viewer {
  private accessToken: string | undefined;
  private refreshToken: string | undefined;

  constructor(
    private readonly app: FastifyInstance,
    /** Every status answered, by request kind ("segment 200"), shared by all viewers for the report. */
    private readonly answers: Map<string, number>,
    readonly email: string,
    private readonly password: string,
    public ip: string,
    readonly device: { id: string; name: string },
  ) {}

  async login(password = this.password): Promise<boolean> {
    const res = await this.call('login', 'POST', '/v1/auth/login', { email: this.email, password, device_id: this.device.id, device_name: this.device.name });
    return this.keep(res);
  }

  /** A new token pair from the refresh token, as a player does when its access token has expired. */
  private async refresh(): Promise<boolean> {
    if (this.refreshToken === undefined) return false;
    return this.keep(await this.call('refresh', 'POST', '/v1/auth/refresh', { refresh_token: this.refreshToken }));
  }

  private keep(res: { statusCode: number; json(): unknown }): boolean {
    if (res.statusCode !== 200) return false;
    const body = res.json() as { access_token: string; refresh_token: string };
    this.accessToken = body.access_token;
    this.refreshToken = body.refresh_token;
    return true;
  }

  async start(titleId: string): Promise<Stream | undefined> {
    const res = await this.call('start', 'POST', '/v1/playback', { title_id: titleId }, true);
    if (res.statusCode !== 201) return undefined;
    const body = res.json() as { session_id: string; manifest_url: string };
    return { sessionId: body.session_id, manifestUrl: body.manifest_url };
  }

  async stop(stream: Stream): Promise<void> {
    await this.call('stop', 'DELETE', `/v1/playback/${stream.sessionId}`, undefined, true);
  }

  async heartbeat(stream: Stream): Promise<boolean> {
    return (await this.call('heartbeat', 'POST', `/v1/playback/${stream.sessionId}/heartbeat`, undefined, true)).statusCode === 204;
  }

  /** Master playlist, one rendition's playlist and the key: what a player fetches to begin. */
  async open(stream: Stream, rendition: (typeof RENDITIONS)[number] = '720p'): Promise<boolean> {
    if ((await this.fetch('manifest', stream.manifestUrl)) === undefined) return false;
    const playlistUrl = resolveUri(stream.manifestUrl, `${rendition}/index.m3u8`);
    const playlist = await this.fetch('manifest', playlistUrl);
    const key = playlist === undefined ? undefined : /URI="([^"]+)"/.exec(playlist)?.[1];
    if (key === undefined) return false;
    stream.keyUrl = resolveUri(playlistUrl, key);
    return (await this.fetch('key', stream.keyUrl)) !== undefined;
  }

  /** Segment n of a rendition; false once Tollgate refuses it. */
  async segment(stream: Stream, n: number, rendition: (typeof RENDITIONS)[number] = '720p'): Promise<boolean> {
    return (await this.fetch('segment', resolveUri(stream.manifestUrl, `${rendition}/seg_${String(n).padStart(5, '0')}.ts`))) !== undefined;
  }

  /** The key again, as a player does at a key rotation; false once refused. */
  async key(stream: Stream): Promise<boolean> {
    return stream.keyUrl !== undefined && (await this.fetch('key', stream.keyUrl)) !== undefined;
  }

  /** Watches `segments` segments in real time, one every SEGMENT_SEC, with a heartbeat every 5; returns how many played. */
  async watch(stream: Stream, from: number, segments: number, sleep: (ms: number) => Promise<void>): Promise<number> {
    for (let n = from; n < from + segments; n++) {
      if (!(await this.segment(stream, n))) return n - from;
      if ((n + 1) % 5 === 0 && !(await this.heartbeat(stream))) return n - from + 1;
      await sleep(SEGMENT_SEC * 1000);
    }
    return segments;
  }

  /** A GET of an absolute Tollgate URL: the body when granted, undefined when refused. */
  async fetch(kind: string, url: string): Promise<string | undefined> {
    const u = new URL(url);
    const res = await this.call(kind, 'GET', u.pathname + u.search);
    return res.statusCode === 200 ? res.body : undefined;
  }

  private async call(kind: string, method: 'GET' | 'POST' | 'DELETE', url: string, body?: unknown, auth = false) {
    const res = await this.send(kind, method, url, body, auth);
    if (auth && res.statusCode === 401 && (await this.refresh())) return this.send(kind, method, url, body, auth);
    return res;
  }

  private async send(kind: string, method: 'GET' | 'POST' | 'DELETE', url: string, body: unknown, auth: boolean) {
    const res = await this.app.inject({
      method,
      url,
      remoteAddress: this.ip,
      headers: {
        'user-agent': `SimPlayer/1.0 (${this.device.name})`,
        ...(auth && this.accessToken ? { authorization: `Bearer ${this.accessToken}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
    });
    const label = `${kind} ${res.statusCode}`;
    this.answers.set(label, (this.answers.get(label) ?? 0) + 1);
    return res;
  }
}

export function resolveUri(base: string, relative: string): string {
  return new URL(relative, base).toString();
}
