-- wrk script: POST /api/events with batches of 50 events, every id unique across threads.
local counter = 0
local threads = 0
local batch = tonumber(os.getenv("BENCH_BATCH") or "50")

function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

function init(args)
  math.randomseed(os.time() + tid * 7919)
end

local function hex(n, width) return string.format("%0" .. width .. "x", n) end

request = function()
  local events = {}
  for i = 1, batch do
    counter = counter + 1
    local id = hex(tid, 8) .. "-" .. hex(math.random(0, 65535), 4) .. "-4" .. hex(math.random(0, 4095), 3)
      .. "-a" .. hex(math.random(0, 4095), 3) .. "-" .. hex(counter, 12)
    events[i] = '{"id":"' .. id .. '","type":"app_opened","occurred_at":"2026-11-22T08:00:00Z"}'
  end
  return wrk.format("POST", "/api/events", nil, '{"events":[' .. table.concat(events, ",") .. ']}')
end
