-- Keygate distributed brute-force counter: one invalid-key answer for one source address, counted
-- atomically whichever node saw it. The same rules as the in-process BruteForceGuard: a fixed
-- window from the first failure; the failure that reaches the threshold starts a block (and is
-- still answered invalid_key); failures during a block are answered rate_limited; each further
-- block doubles, up to the largest; the level resets after the address stayed unblocked that long.
-- KEYS[1]  hash: f (failures), ws (window start ms), bu (blocked until ms, 0 = not blocked),
--          lv (block level), le (end of the last block, ms, '' = never)
-- ARGV     threshold, window ms, first block ms, largest block ms
-- returns  {state, ms, failures}: state 0 = within the threshold, 1 = this failure started a block
--          of ms, 2 = blocked for ms more
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local key = KEYS[1]
local threshold = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local block = tonumber(ARGV[3])
local maxb = tonumber(ARGV[4])
local v = redis.call('HMGET', key, 'f', 'ws', 'bu', 'lv', 'le')
local f = tonumber(v[1]) or 0
local ws = tonumber(v[2]) or 0
local bu = tonumber(v[3]) or 0
local lv = tonumber(v[4]) or 0
local le = tonumber(v[5])
if bu ~= 0 and now >= bu then
  le = bu
  bu = 0
  f = 0
end
if bu ~= 0 then
  return {2, bu - now, f}
end
if f == 0 or now - ws >= window then
  f = 0
  ws = now
end
f = f + 1
local state, dur = 0, 0
if f >= threshold then
  if le ~= nil and now - le >= maxb then
    lv = 0
  end
  dur = block
  for _ = 1, lv do
    if dur >= maxb then
      break
    end
    dur = dur * 2
  end
  if dur > maxb then
    dur = maxb
  end
  lv = math.min(lv + 1, 40)
  bu = now + dur
  state = 1
end
redis.call('HSET', key, 'f', string.format('%d', f), 'ws', string.format('%d', ws),
  'bu', string.format('%d', bu), 'lv', string.format('%d', lv),
  'le', le == nil and '' or string.format('%d', le))
redis.call('PEXPIRE', key, 2 * math.max(window, maxb))
return {state, dur, f}
