-- Keygate distributed rate limit: every named limit of one key, decided atomically in one call.
-- Fixed windows aligned to the epoch (like the in-process limiter): a limit of N per W admits
-- at most N requests in each [k*W, (k+1)*W) on Redis's own clock, whichever node asks.
-- KEYS[1]  hash holding, per limit name, "<name>:w" (window index) and "<name>:c" (count)
-- ARGV     cost, then triples: name, requests, window in ms
-- returns  {admitted (1|0), now_ms, count_1, ..., count_n} (counts after the decision)
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local key = KEYS[1]
local cost = tonumber(ARGV[1])
local n = (#ARGV - 1) / 3
local counts, wins, names = {}, {}, {}
local admitted = 1
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
  if c + cost > limit then
    admitted = 0
  end
  counts[i], wins[i], names[i] = c, win, name
  local left = (win + 1) * w - now
  if left > ttl then
    ttl = left
  end
end
if admitted == 1 then
  for i = 1, n do
    counts[i] = counts[i] + cost
    redis.call('HSET', key, names[i] .. ':w', string.format('%d', wins[i]),
      names[i] .. ':c', string.format('%d', counts[i]))
  end
  redis.call('PEXPIRE', key, ttl + 1000)
end
local out = {admitted, now}
for i = 1, n do
  out[i + 2] = counts[i]
end
return out
