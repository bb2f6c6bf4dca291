-- Keygate distributed rate limit: every named limit of one key, decided atomically in one call.
-- Fixed windows aligned to the epoch (like the in-process limiter): a limit of N per W admits
-- at most N requests in each [k*W, (k+1)*W) on Redis's own clock, whichever node asks.
-- KEYS[1]  hash holding, per limit name, "<name>:w" (window index) and "<name>:c" (count)
-- ARGV     wanted (most tokens to take, >= 1), then triples: name, requests, window in ms
-- returns  {granted, now_ms, count_1, ..., count_n} (counts after the decision): granted is
--          min(wanted, room left in the fullest limit), taken from every limit at once; 0 when
--          any limit has no room (then nothing is taken)
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local key = KEYS[1]
local grant = tonumber(ARGV[1])
local n = (#ARGV - 1) / 3
local counts, wins, names = {}, {}, {}
local ttl = 0
for i = 1, n do
  local name = ARGV[3 * i - 1]
  local limit = tonumber(ARGV[3 * i])
  local w = tonumber(ARGV[3 * i + 1])
  local win = math.floor(now / w)
  local v = redis.call('HMGET', key, name .. ':w', name .. ':c')
  local c = 0
  if tonumber(v[1]) == win then
    c = tonumber(v[2]) or 0
  end
  if limit - c < grant then
    grant = math.max(0, limit - c)
  end
  counts[i], wins[i], names[i] = c, win, name
  local left = (win + 1) * w - now
  if left > ttl then
    ttl = left
  end
end
if grant > 0 then
  for i = 1, n do
    counts[i] = counts[i] + grant
    redis.call('HSET', key, names[i] .. ':w', string.format('%d', wins[i]),
      names[i] .. ':c', string.format('%d', counts[i]))
  end
  redis.call('PEXPIRE', key, ttl + 1000)
end
local out = {grant, now}
for i = 1, n do
  out[i + 2] = counts[i]
end
return out
