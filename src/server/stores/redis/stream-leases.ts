/**
 * Stream leases on Redis, exact across instances. Threat: a burst of playback starts on
 * several instances over-admitting an account, and instances with skewed clocks disagreeing on
 * when a lease lapsed. Each account has a sorted set of its leases scored by expiry and a hash
 * of each lease's start, last sign of life and device; both keys share the `{account}` hash tag
 * (one Redis Cluster slot), and every operation is one Lua script that reads the time from
 * Redis (TIME), so a check and its write are one atomic step on one clock. The admission
 * script is src/core/stream-limits.ts's rule, step for step. Both keys expire a lease period
 * after the account's last write, so an idle account leaves nothing behind.
 */
import type { RedisClient } from './client.js';
import type { AdmitOutcome, AdmitRequest, StreamLease, StreamLeases } from '../../../core/ports.js';

// The store's clock, and a lease's keys kept alive a lease period past the account's last write.
const CLOCK = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function keep(ms)
  for i = 1, 2 do
    if redis.call('PTTL', KEYS[i]) < ms then redis.call('PEXPIRE', KEYS[i], ms) end
  end
end
`;

// Shared head of the scripts that read the whole account: the clock, and lapsed leases dropped.
const PRELUDE = `${CLOCK}
local lapsed = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
for _, id in ipairs(lapsed) do redis.call('HDEL', KEYS[2], id) end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
`;

// Info is "<startedAt>|<lastSeenAt>|<deviceKey>". Returns {1, evicted...} or {0, id, expiry, info, ...}.
const ADMIT_SCRIPT = `${PRELUDE}
local stream, device, limit, mode, countBy, leaseMs = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4], ARGV[5], tonumber(ARGV[6])
local scored = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
local live = {}
for i = 1, #scored, 2 do
  local info = redis.call('HGET', KEYS[2], scored[i]) or (now .. '|' .. now .. '|' .. scored[i])
  local a = string.find(info, '|', 1, true)
  local b = string.find(info, '|', a + 1, true)
  live[#live + 1] = { id = scored[i], expiry = scored[i + 1], info = info, started = tonumber(string.sub(info, 1, a - 1)), device = string.sub(info, b + 1) }
end
table.sort(live, function(x, y) if x.started == y.started then return x.id < y.id end return x.started < y.started end)
local held, counted = nil, false
for _, l in ipairs(live) do
  if l.id == stream then held = l end
  if countBy == 'device' and l.device == device then counted = true end
end
local evict = {}
if limit >= 0 and held == nil and not counted then
  local units, order = {}, {}
  for _, l in ipairs(live) do
    local unit = l.id
    if countBy == 'device' then unit = l.device end
    if units[unit] == nil then units[unit] = {}; order[#order + 1] = unit end
    table.insert(units[unit], l.id)
  end
  if #order >= limit then
    if mode ~= 'evict_oldest' then
      local out = {0}
      for _, l in ipairs(live) do out[#out + 1] = l.id; out[#out + 1] = l.expiry; out[#out + 1] = l.info end
      return out
    end
    for i = 1, #order - limit + 1 do
      for _, id in ipairs(units[order[i]]) do evict[#evict + 1] = id end
    end
  end
end
for _, id in ipairs(evict) do redis.call('ZREM', KEYS[1], id); redis.call('HDEL', KEYS[2], id) end
local started = now
if held ~= nil then started = held.started; device = held.device end
redis.call('ZADD', KEYS[1], now + leaseMs, stream)
redis.call('HSET', KEYS[2], stream, started .. '|' .. now .. '|' .. device)
keep(leaseMs)
local out = {1}
for _, id in ipairs(evict) do out[#out + 1] = id end
return out`;

// Renewal touches only its own lease (the hot path: every key and license request): a lapsed
// one is refused as if swept, and the others are left for the next admission or listing to sweep.
const RENEW_SCRIPT = `${CLOCK}
local leaseMs = tonumber(ARGV[2])
local expiry = redis.call('ZSCORE', KEYS[1], ARGV[1])
if expiry == false or tonumber(expiry) <= now then return 0 end
local info = redis.call('HGET', KEYS[2], ARGV[1])
if info == false then return 0 end
local a = string.find(info, '|', 1, true)
local b = string.find(info, '|', a + 1, true)
redis.call('ZADD', KEYS[1], now + leaseMs, ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], string.sub(info, 1, a - 1) .. '|' .. now .. '|' .. string.sub(info, b + 1))
keep(leaseMs)
return 1`;

const RELEASE_SCRIPT = `
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
return 0`;

const LIST_SCRIPT = `${PRELUDE}
local scored = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
local out = {}
for i = 1, #scored, 2 do
  local info = redis.call('HGET', KEYS[2], scored[i])
  if info then out[#out + 1] = scored[i]; out[#out + 1] = scored[i + 1]; out[#out + 1] = info end
end
return out`;

type Client = RedisClient & {
  tollgateLeaseAdmit(leases: string, info: string, ...args: (string | number)[]): Promise<(string | number)[]>;
  tollgateLeaseRenew(leases: string, info: string, streamId: string, leaseMs: number): Promise<number>;
  tollgateLeaseRelease(leases: string, info: string, streamId: string): Promise<number>;
  tollgateLeaseList(leases: string, info: string): Promise<string[]>;
};

/** Runs a command under the hot state's outage guard (StoreUnavailableError when Redis is away). */
export type GuardedRun = <T>(command: () => Promise<T>) => Promise<T>;

/** Redis rejects PX 0 and fractions. */
const px = (ms: number): number => Math.max(1, Math.ceil(ms));

export class RedisStreamLeases implements StreamLeases {
  readonly #redis: Client;

  constructor(
    redis: RedisClient,
    private readonly prefix: string,
    private readonly run: GuardedRun,
    /** The hot state's epoch (epoch.ts) guarding a Redis key: since when its data is known. */
    private readonly epochStartedAt: (key: string) => Promise<number>,
  ) {
    redis.defineCommand('tollgateLeaseAdmit', { numberOfKeys: 2, lua: ADMIT_SCRIPT });
    redis.defineCommand('tollgateLeaseRenew', { numberOfKeys: 2, lua: RENEW_SCRIPT });
    redis.defineCommand('tollgateLeaseRelease', { numberOfKeys: 2, lua: RELEASE_SCRIPT });
    redis.defineCommand('tollgateLeaseList', { numberOfKeys: 2, lua: LIST_SCRIPT });
    this.#redis = redis as Client;
  }

  async admit(request: AdmitRequest): Promise<AdmitOutcome> {
    const { streamId, deviceKey, limit, mode, countBy, leaseMs } = request;
    const reply = await this.run(() =>
      this.#redis.tollgateLeaseAdmit(...this.#keys(request.account), streamId, deviceKey, limit ?? -1, mode, countBy, px(leaseMs)),
    );
    if (Number(reply[0]) === 1) return { admitted: true, evicted: reply.slice(1).map(String) };
    return { admitted: false, active: toLeases(reply.slice(1).map(String)) };
  }

  async renew(account: string, streamId: string, leaseMs: number): Promise<boolean> {
    return (await this.run(() => this.#redis.tollgateLeaseRenew(...this.#keys(account), streamId, px(leaseMs)))) === 1;
  }

  async release(account: string, streamId: string): Promise<void> {
    await this.run(() => this.#redis.tollgateLeaseRelease(...this.#keys(account), streamId));
  }

  /** The epoch of the account's slot: a cluster node that lost its data loses only its slots' leases. */
  knownSince(account: string): Promise<number> {
    return this.epochStartedAt(this.#keys(account)[0]);
  }

  async list(account: string): Promise<StreamLease[]> {
    return toLeases(await this.run(() => this.#redis.tollgateLeaseList(...this.#keys(account))));
  }

  #keys(account: string): [string, string] {
    return [`${this.prefix}{${account}}:leases`, `${this.prefix}{${account}}:lease-info`];
  }
}

/** Flat {id, expiry, info} triples to leases, oldest first. */
function toLeases(flat: readonly string[]): StreamLease[] {
  const leases: StreamLease[] = [];
  for (let i = 0; i + 2 < flat.length; i += 3) {
    const [startedAt, lastSeenAt, ...device] = flat[i + 2]!.split('|');
    leases.push({ streamId: flat[i]!, expiresAt: Number(flat[i + 1]), startedAt: Number(startedAt), lastSeenAt: Number(lastSeenAt), deviceKey: device.join('|') });
  }
  return leases.sort((a, b) => a.startedAt - b.startedAt || (a.streamId < b.streamId ? -1 : 1));
}
