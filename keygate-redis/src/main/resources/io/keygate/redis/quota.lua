-- Keygate distributed quota: spend `cost` of one key's balance, all or none, whichever node asks.
-- The database stays the durable record (every node flushes what it admitted); Redis holds the
-- live balance and is seeded from the stored quota the asking node read.
-- KEYS[1]  hash: e (epoch: the stored refilled_at the balance derives from, ms), p (refill period
--          start, ms; 0 without refill), r (remaining)
-- ARGV     cost, stored refilled_at ms, stored remaining, refill amount (0 = no refill),
--          current period start ms (0 = no refill), TTL ms
-- returns  {admitted (1|0), balance after the decision}
-- Seeding: when the hash is absent, or the stored quota is newer than the seed (an admin set it:
-- refilled_at moved past e). A refill boundary resets the balance and moves e to the period start,
-- which is what the store writes as refilled_at when it applies the same refill, so the flush that
-- follows never looks like an admin change.
local key = KEYS[1]
local cost = tonumber(ARGV[1])
local se = tonumber(ARGV[2])
local sr = tonumber(ARGV[3])
local ra = tonumber(ARGV[4])
local ps = tonumber(ARGV[5])
local ttl = tonumber(ARGV[6])
local v = redis.call('HMGET', key, 'e', 'p', 'r')
local e = tonumber(v[1])
local p = tonumber(v[2])
local r = tonumber(v[3])
if r == nil or e == nil or p == nil or se > e then
  p = ps
  if ra > 0 and se < ps then
    r = ra
    e = ps
  else
    r = sr
    e = se
  end
elseif ra > 0 and ps > p then
  r = ra
  p = ps
  e = ps
end
local ok = 0
if r >= cost then
  r = r - cost
  ok = 1
end
redis.call('HSET', key, 'e', string.format('%d', e), 'p', string.format('%d', p),
  'r', string.format('%d', r))
redis.call('PEXPIRE', key, ttl)
return {ok, r}
