/**
 * The alert webhook. Threats: a forged alert (anyone can POST to the receiver) and a replayed
 * one. So each body is signed, `X-Tollgate-Signature: t=<unix>,v1=<hex HMAC-SHA256 of
 * "<t>.<body>">` (Stripe's scheme), and receivers check the MAC in constant time and refuse
 * timestamps outside a tolerance (verifyWebhookSignature). Deliveries are retried with
 * exponential backoff, a bounded number of times, and never block the caller; the secret and
 * the signature never reach a log.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-tollgate-signature';

export function signWebhook(body: string, unixSeconds: number, secret: string): string {
  return `t=${unixSeconds},v1=${createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex')}`;
}

/** For receivers (and tests): true only for a valid MAC over this body with a fresh timestamp. */
export function verifyWebhookSignature(header: string, body: string, secret: string, nowSeconds: number, toleranceSec = 300): boolean {
  const t = /(?:^|,)t=(\d{1,12})(?:,|$)/.exec(header)?.[1];
  const v1 = /(?:^|,)v1=([0-9a-f]{64})(?:,|$)/.exec(header)?.[1];
  if (t === undefined || v1 === undefined || Math.abs(nowSeconds - Number(t)) > toleranceSec) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  return timingSafeEqual(expected, Buffer.from(v1, 'hex'));
}

export interface WebhookOptions {
  readonly url: string;
  readonly secret: string;
  readonly attempts: number;
  /** First wait between attempts, doubled each time up to maxDelayMs. */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  readonly timeoutMs?: number;
  readonly now: () => number;
  /** Told of a delivery that failed every attempt (without the secret). */
  readonly onGiveUp?: (reason: string) => void;
}

/** Deliveries in flight at most; beyond it a new alert's delivery is dropped and reported. */
const MAX_IN_FLIGHT = 1000;

export class WebhookSender {
  private inFlight = 0;

  constructor(private readonly o: WebhookOptions) {}

  /** Starts delivering; resolves when delivered or given up (callers need not wait). */
  send(payload: unknown): Promise<boolean> {
    if (this.inFlight >= MAX_IN_FLIGHT) {
      this.o.onGiveUp?.('too many deliveries in flight');
      return Promise.resolve(false);
    }
    this.inFlight++;
    return this.deliver(JSON.stringify(payload)).finally(() => this.inFlight--);
  }

  private async deliver(body: string): Promise<boolean> {
    const { baseDelayMs = 1_000, maxDelayMs = 60_000, timeoutMs = 5_000 } = this.o;
    let reason = '';
    for (let attempt = 0; attempt < this.o.attempts; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1))));
      try {
        // Signed per attempt, so a late retry still carries a fresh timestamp.
        const signature = signWebhook(body, Math.floor(this.o.now() / 1000), this.o.secret);
        const response = await fetch(this.o.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signature },
          body,
          signal: AbortSignal.timeout(timeoutMs),
          redirect: 'error',
        });
        await response.body?.cancel();
        if (response.ok) return true;
        reason = `answered ${response.status}`;
      } catch (error) {
        reason = (error as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : 'unreachable';
      }
    }
    this.o.onGiveUp?.(`${reason} after ${this.o.attempts} attempts`);
    return false;
  }
}
