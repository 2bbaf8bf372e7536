import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * Key and channel names, and the Lua scripts that change them atomically.
 *
 * Every key of one principal carries the same hash tag `{p:<principal>}`, and every script
 * declares the keys it touches, so the scripts also run on a cluster-mode cache (ElastiCache
 * Serverless is cluster-mode only) without CROSSSLOT errors. Expiry times come from the
 * server's clock (`TIME`), never from a task's, so tasks with skewed clocks agree.
 */

export const keys = {
  /** ZSET task id → expiry (ms): the tasks that have listeners of the principal. */
  presence: (principal: string) => `jessica:{p:${principal}}:presence`,
  /** HASH task id → number of listeners of the principal on that task. */
  listeners: (principal: string) => `jessica:{p:${principal}}:listeners`,
  /** ZSET utterance id → expiry (ms): utterances queued or playing anywhere, which `stop` cancels. */
  utterances: (principal: string) => `jessica:{p:${principal}}:utterances`,
  /** STRING: the lease of the task currently speaking to the principal (one utterance at a time). */
  speaker: (principal: string) => `jessica:{p:${principal}}:speaker`,
  /** ZSET holder id → lease expiry (ms): upstream requests in flight across tasks. */
  upstreamHolders: 'jessica:{upstream}:holders',
};

export const channels = {
  /** Audio and control frames of one principal. */
  principal: (principal: string) => `jessica:{p:${principal}}:live`,
  /** Frames addressed to one task (`played` acknowledgements). */
  task: (taskId: string) => `jessica:task:${taskId}`,
};

/** Reads a principal back from its channel name; undefined for a task channel. */
export function principalOfChannel(channel: string): string | undefined {
  const match = /^jessica:\{p:(.+)\}:live$/.exec(channel);
  return match?.[1];
}

type Arg = string | number | Buffer;

/** A Lua script run with EVALSHA, falling back to EVAL once after a server restart flushed the script cache. */
export class LuaScript {
  readonly #source: string;
  readonly #sha: string;

  constructor(source: string) {
    this.#source = NOW + source;
    this.#sha = createHash('sha1').update(this.#source).digest('hex');
  }

  async run(redis: Redis, keyNames: readonly string[], args: readonly Arg[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.#sha, keyNames.length, ...keyNames, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return redis.eval(this.#source, keyNames.length, ...keyNames, ...args);
    }
  }
}

const NOW = `local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
`;

/** KEYS presence, listeners · ARGV task, count, ttl. A count of 0 withdraws the task. */
export const setPresence = new LuaScript(`
local ttl = tonumber(ARGV[3])
if tonumber(ARGV[2]) > 0 then
  redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ttl)
  redis.call('PEXPIRE', KEYS[2], ttl)
else
  redis.call('ZREM', KEYS[1], ARGV[1])
  redis.call('HDEL', KEYS[2], ARGV[1])
end
return 1
`);

/** KEYS presence, listeners · ARGV task to leave out. Drops expired tasks, returns the others' listeners. */
export const countPresence = new LuaScript(`
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
if #expired > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
  redis.call('HDEL', KEYS[2], unpack(expired))
end
local total = 0
for _, task in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if task ~= ARGV[1] then total = total + (tonumber(redis.call('HGET', KEYS[2], task)) or 0) end
end
return total
`);

/**
 * KEYS presence, listeners, utterances · ARGV task, listeners on this task, ttl, id.
 * `countPresence` for the other tasks; when anyone listens anywhere, also registers the
 * utterance (so `stop` can cancel it). Returns the other tasks' listeners.
 */
export const countAndRegister = new LuaScript(`
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
if #expired > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
  redis.call('HDEL', KEYS[2], unpack(expired))
end
local others = 0
for _, task in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if task ~= ARGV[1] then others = others + (tonumber(redis.call('HGET', KEYS[2], task)) or 0) end
end
if others + tonumber(ARGV[2]) > 0 then
  local ttl = tonumber(ARGV[3])
  redis.call('ZADD', KEYS[3], 'NX', now + ttl, ARGV[4])
  redis.call('PEXPIRE', KEYS[3], ttl)
end
return others
`);

/**
 * KEYS utterances · ARGV ttl, mode ('NX' registers, 'XX' only extends), ids…
 * XX never brings back an utterance that a stop removed.
 */
export const touchUtterances = new LuaScript(`
local ttl = tonumber(ARGV[1])
for i = 3, #ARGV do redis.call('ZADD', KEYS[1], ARGV[2], now + ttl, ARGV[i]) end
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('PEXPIRE', KEYS[1], ttl) end
return 1
`);

/**
 * KEYS utterances · ARGV channel. Cancels every live utterance of the principal and publishes
 * the stop frame in the same step, so no start or chunk of a cancelled utterance can follow it.
 * Returns the cancelled ids.
 */
export const stopAll = new LuaScript(`
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local ids = redis.call('ZRANGE', KEYS[1], 0, -1)
redis.call('DEL', KEYS[1])
local json = '{"ids":[]}'
if #ids > 0 then json = cjson.encode({ ids = ids }) end
local n = #json
local frame = string.char(5, math.floor(n / 16777216) % 256, math.floor(n / 65536) % 256, math.floor(n / 256) % 256, n % 256) .. json
redis.call('PUBLISH', ARGV[1], frame)
return ids
`);

/**
 * KEYS utterances, speaker · ARGV id, token, ttl, channel, start frame.
 * Takes the principal's speaker lease and publishes the start in one step.
 * 1: started. 0: the utterance was stopped meanwhile. -1: another utterance holds the lease.
 */
export const takeTurnAndStart = new LuaScript(`
local holder = redis.call('GET', KEYS[2])
if holder and holder ~= ARGV[2] then return -1 end
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
redis.call('SET', KEYS[2], ARGV[2], 'PX', tonumber(ARGV[3]))
redis.call('PUBLISH', ARGV[4], ARGV[5])
return 1
`);

/** KEYS utterances · ARGV id, channel, frame. 1: published; 0: the utterance was stopped. */
export const publishChunk = new LuaScript(`
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
redis.call('PUBLISH', ARGV[2], ARGV[3])
return 1
`);

/**
 * KEYS utterances, speaker · ARGV id, token, channel, frame ('' for none).
 * Unregisters the utterance, publishes its last frame unless a stop already ended it, and
 * hands the speaker lease on. Returns 1 when the utterance was still registered.
 */
export const finishUtterance = new LuaScript(`
local registered = redis.call('ZREM', KEYS[1], ARGV[1])
if registered == 1 and ARGV[4] ~= '' then redis.call('PUBLISH', ARGV[3], ARGV[4]) end
if redis.call('GET', KEYS[2]) == ARGV[2] then redis.call('DEL', KEYS[2]) end
return registered
`);

/**
 * KEYS speaker · ARGV token, ttl, channel, alive frame. 1 when the lease was still ours and is
 * extended; then the listeners' tasks also hear that the speaking task is alive.
 */
export const renewSpeaker = new LuaScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1
`);

/** KEYS holders · ARGV holder, limit, lease. Drops expired holders; 1 when the holder has a slot. */
export const acquireSlot = new LuaScript(`
local lease = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 1 end
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], now + lease, ARGV[1])
  redis.call('PEXPIRE', KEYS[1], lease)
  return 1
end
return 0
`);

/**
 * KEYS holders · ARGV lease, holders…  Extends the leases of requests still in flight. A holder
 * missing after a server restart is added back: the request is running, so it counts.
 */
export const renewSlots = new LuaScript(`
local lease = tonumber(ARGV[1])
for i = 2, #ARGV do redis.call('ZADD', KEYS[1], now + lease, ARGV[i]) end
redis.call('PEXPIRE', KEYS[1], lease)
return 1
`);
