/**
 * Change notices across instances on Redis pub/sub: one channel (`<prefix>notices`), each
 * message `<topic>\n<text>`. Publishing goes over the hot state's connection (on a cluster,
 * PUBLISH reaches every node); listening needs a connection of its own in subscriber mode.
 *
 * Pub/sub keeps nothing: a notice sent while the listening connection is down is lost. So
 * notices are live() only from the moment the subscription is confirmed until that connection
 * closes, and listeners are told they missed() notices whenever it closes and again once it is
 * back: a cache forgets what it holds and trusts nothing for long in between. On a cluster the
 * client moves its subscription to another node by itself when a node fails, without closing
 * the connection this watches, and a frozen server closes nothing at all; so any node of the
 * hot state's own connections closing or coming back (a failover, a restart), and the hot
 * state failing and recovering (hot-state.ts's probe), also count as notices missed, and
 * notices are not trusted while it fails and for DISTURBED_MS after.
 */
import type { ChangeNotices, NoticeListener } from '../../../core/ports.js';
import type { GuardedRun } from './stream-leases.js';
import { onConnectionChange, type RedisClient } from './client.js';

/** How long after a node of the hot state closed or came back notices are not trusted. */
const DISTURBED_MS = 5_000;

export class RedisNotices implements ChangeNotices {
  readonly #listeners = new Map<string, NoticeListener[]>();
  readonly #channel: string;
  #live = false;
  #closed = false;
  #disturbedAt = Number.NEGATIVE_INFINITY;

  /**
   * Takes ownership of `subscriber` (a connection of its own, not yet connected): close() ends
   * it. `run` is the hot state's outage guard, which publishing goes through.
   */
  constructor(
    private readonly publisher: RedisClient,
    private readonly subscriber: RedisClient,
    prefix: string,
    private readonly run: GuardedRun,
  ) {
    this.#channel = `${prefix}notices`;
    subscriber.on('message', (channel: string, message: string) => {
      if (channel === this.#channel) this.#deliver(message);
    });
    subscriber.on('ready', () => this.#subscribe());
    subscriber.on('close', () => this.#lost());
    subscriber.on('error', () => undefined); // closes follow; ioredis reconnects by itself
    subscriber.connect().catch(() => undefined);
    onConnectionChange(publisher, () => this.disturbed());
  }

  /**
   * The hot state's connection closed, came back, or stopped answering: notices may be lost
   * (listeners forget) and are not trusted for DISTURBED_MS from now.
   */
  disturbed(): void {
    this.#disturbedAt = performance.now();
    this.#missed();
  }

  async publish(topic: string, message: string): Promise<void> {
    await this.run(() => this.publisher.publish(this.#channel, `${topic}\n${message}`));
  }

  listen(topic: string, listener: NoticeListener): void {
    this.#listeners.set(topic, [...(this.#listeners.get(topic) ?? []), listener]);
  }

  live(): boolean {
    return this.#live && performance.now() - this.#disturbedAt >= DISTURBED_MS;
  }

  close(): void {
    this.#closed = true;
    this.#live = false;
    this.subscriber.disconnect();
  }

  #subscribe(): void {
    this.subscriber.subscribe(this.#channel).then(
      () => {
        if (this.#closed) return;
        // Whatever was learnt before this point may have missed a notice.
        this.#missed();
        this.#live = true;
      },
      () => this.subscriber.disconnect(true), // try again on a fresh connection
    );
  }

  #lost(): void {
    if (!this.#live) return;
    this.#live = false;
    this.#missed();
  }

  #deliver(message: string): void {
    const cut = message.indexOf('\n');
    if (cut < 0) return;
    for (const listener of this.#listeners.get(message.slice(0, cut)) ?? []) listener.notice(message.slice(cut + 1));
  }

  #missed(): void {
    for (const listeners of this.#listeners.values()) for (const listener of listeners) listener.missed();
  }
}
