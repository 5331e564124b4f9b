/**
 * Blocked addresses and networks, as every instance enforces them. Threat: a blocked client
 * that keeps playing through another instance, another address of its /64, a spoofed
 * X-Forwarded-For, or the gateway's fast path. Blocks are stored in the database, so every
 * instance sees them; each instance keeps the live ones in memory, re-read when older than
 * REFRESH_MS (a block made here applies at once, one made elsewhere within REFRESH_MS), so
 * the check itself is synchronous and cheap enough for the fast path. Addresses are the
 * client addresses the routes already use (X-Forwarded-For only from TOLLGATE_TRUST_PROXY).
 *
 * Fail-safe: when the database cannot be read, the last blocks read stay enforced until they
 * expire, and the refresh is retried on the next request; a store outage neither lifts a block
 * nor refuses clients that were never blocked.
 */
import { randomUUID } from 'node:crypto';
import type { BlockRecord, WatchtowerStore } from '../../core/ports.js';
import { formatIpNetwork, ipNetworkOf, parseIpNetwork } from '../../core/playback-token-ip.js';

export const REFRESH_MS = 2_000;

export class BlockList {
  private byNetwork = new Map<string, BlockRecord>();
  private prefixLengths: number[] = [];
  private readAt = -Infinity;
  private reading: Promise<void> | undefined;

  constructor(
    private readonly store: WatchtowerStore,
    private readonly now: () => number,
  ) {}

  /** The live block covering this address, from memory (a stale copy starts a re-read). */
  blocked(ip: string): BlockRecord | undefined {
    if (this.now() - this.readAt >= REFRESH_MS) void this.refresh().catch(() => undefined);
    return this.match(ip);
  }

  /** blocked(), after re-reading the blocks if the copy is stale (the full request path). */
  async check(ip: string): Promise<BlockRecord | undefined> {
    if (this.now() - this.readAt >= REFRESH_MS) await this.refresh().catch(() => undefined);
    return this.match(ip);
  }

  private match(ip: string): BlockRecord | undefined {
    if (this.byNetwork.size === 0) return undefined;
    const now = this.now();
    // Keys are canonical per family, so an IPv4 key never matches an IPv6 block or back.
    for (const bits of this.prefixLengths) {
      const network = ipNetworkOf(ip, Math.min(bits, 32), bits);
      const block = network === undefined ? undefined : this.byNetwork.get(network);
      if (block !== undefined && block.expiresAt > now) return block;
    }
    return undefined;
  }

  /** Blocks `network` (an address or CIDR) for `minutes`; undefined when it is not one. */
  async add(network: string, minutes: number, reason: string, alertId: string | null): Promise<BlockRecord | undefined> {
    const parsed = parseIpNetwork(network);
    if (parsed === undefined) return undefined;
    const now = this.now();
    const block: BlockRecord = { id: randomUUID(), network: formatIpNetwork(parsed), reason, alertId, createdAt: now, expiresAt: now + minutes * 60_000, liftedAt: null };
    await this.store.addBlock(block);
    await this.refresh();
    return block;
  }

  async lift(id: string): Promise<boolean> {
    const lifted = await this.store.liftBlock(id, this.now());
    await this.refresh();
    return lifted;
  }

  list(): Promise<BlockRecord[]> {
    return this.store.activeBlocks(this.now());
  }

  /** Re-reads the live blocks; concurrent callers share one read. */
  refresh(): Promise<void> {
    this.reading ??= this.store
      .activeBlocks(this.now())
      .then((blocks) => {
        this.byNetwork = new Map(blocks.map((b) => [b.network, b]));
        this.prefixLengths = [...new Set(blocks.map((b) => parseIpNetwork(b.network)!.bits))].sort((a, b) => a - b);
        this.readAt = this.now();
      })
      .finally(() => (this.reading = undefined));
    return this.reading;
  }
}
