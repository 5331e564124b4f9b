/**
 * The uncached playback-token check against the one HMAC-SHA256 inside it, in one process:
 * verifyPlaybackToken with node:crypto's createHmac injected, over a token like the ones the
 * server mints, against createHmac over a string as long as the part of the token it MACs.
 * The ratio is what the check's own parsing and comparing costs on top of the MAC. Beside
 * it, verifyPlaybackJwt over the JWT form of the same claims (TOLLGATE_PLAYBACK_TOKEN_FORMAT=jwt).
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import type { HmacSha256 } from '../src/core/playback-token-crypto.js';
import { hashUserAgent } from '../src/core/playback-token-crypto.js';
import { mintPlaybackJwt, verifyPlaybackJwt } from '../src/core/playback-token-jwt.js';
import { mintPlaybackToken, verifyPlaybackToken } from '../src/core/playback-token.js';

const hmac: HmacSha256 = (key, data) => createHmac('sha256', key).update(data).digest();

export interface TokenBenchOptions {
  readonly iterations: number;
  readonly rounds: number;
}

export interface TokenBenchResult {
  readonly tokenLength: number;
  readonly macInputLength: number;
  readonly iterations: number;
  readonly rounds: number;
  /** Median round, operations per second. */
  readonly verifyPerSec: number;
  readonly hmacPerSec: number;
  readonly ratio: number;
  /** The JWT form of the same claims: its length and uncached verifications per second. */
  readonly jwtTokenLength: number;
  readonly jwtVerifyPerSec: number;
}

export function benchTokenCheck(options: TokenBenchOptions): TokenBenchResult {
  const secret = randomBytes(32);
  const now = Math.floor(Date.now() / 1000);
  // As the server mints them with address and user-agent binding on: the longest usual token.
  const claims = {
    sid: randomUUID(),
    titleId: 'bench',
    exp: now + 6 * 3600,
    ip: '203.0.113.0/24',
    uaHash: hashUserAgent('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36', hmac),
  };
  const token = mintPlaybackToken(claims, { kid: 'pk-2025-01', secret }, hmac);
  const jwt = mintPlaybackJwt(claims, { kid: 'pk-2025-01', secret }, now, hmac);
  const macInput = token.slice(0, token.lastIndexOf('.'));
  const sameLength = 'x'.repeat(macInput.length);
  const ctx = { now, resolveKey: (kid: string) => (kid === 'pk-2025-01' ? secret : undefined), hmac };
  if (!verifyPlaybackToken(token, ctx).ok || !verifyPlaybackJwt(jwt, ctx).ok) throw new Error('token bench: a minted token does not verify');

  let sink = 0;
  const verify = (n: number): void => {
    for (let i = 0; i < n; i++) if (verifyPlaybackToken(token, ctx).ok) sink++;
  };
  const verifyJwt = (n: number): void => {
    for (let i = 0; i < n; i++) if (verifyPlaybackJwt(jwt, ctx).ok) sink++;
  };
  const raw = (n: number): void => {
    for (let i = 0; i < n; i++) sink += createHmac('sha256', secret).update(sameLength).digest()[0]!;
  };
  // Warm-up: both paths optimised before anything is timed.
  verify(options.iterations / 5);
  verifyJwt(options.iterations / 5);
  raw(options.iterations / 5);

  // Rounds interleaved so drift of the machine (other load, frequency) hits both alike.
  const verifyRates: number[] = [];
  const hmacRates: number[] = [];
  const jwtRates: number[] = [];
  for (let r = 0; r < options.rounds; r++) {
    verifyRates.push(rate(verify, options.iterations));
    jwtRates.push(rate(verifyJwt, options.iterations));
    hmacRates.push(rate(raw, options.iterations));
  }
  if (sink === 0) throw new Error('token bench: nothing was computed');
  const verifyPerSec = median(verifyRates);
  const hmacPerSec = median(hmacRates);
  return {
    tokenLength: token.length,
    macInputLength: macInput.length,
    iterations: options.iterations,
    rounds: options.rounds,
    verifyPerSec,
    hmacPerSec,
    ratio: verifyPerSec / hmacPerSec,
    jwtTokenLength: jwt.length,
    jwtVerifyPerSec: median(jwtRates),
  };
}

function rate(fn: (n: number) => void, n: number): number {
  const start = process.hrtime.bigint();
  fn(n);
  const ns = Number(process.hrtime.bigint() - start);
  return n / (ns / 1e9);
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
