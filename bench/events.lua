-- wrk script: POST /api/events, each request a fresh batch of events with ids unique across the run.
-- Arguments (after --): batch size, occurred_at (ISO 8601 with Z), a run nonce (hex, 8 digits).
-- An id is <nonce>-<thread>-4<random>-<variant><random>-<counter>: UUIDv4 format, unique by construction
-- (nonce per wrk run, thread id, per-thread counter) and partly random as the phone's would be.
-- The answer counting (setup, response, done) is shared with the GET measurements.
dofile(debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "status.lua")

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

local batch, occurred_at, nonce = 50, "", "00000000"
local counter = 0

function init(args)
  batch = tonumber(args[1]) or 50
  occurred_at = args[2]
  nonce = args[3]
  math.randomseed(os.time() + tid * 7919)
end

local function new_id()
  counter = counter + 1
  return string.format("%s-%04x-4%03x-%x%03x-%012x", nonce, tid, math.random(0, 4095),
                       8 + math.random(0, 3), math.random(0, 4095), counter)
end

request = function()
  local events = {}
  for i = 1, batch do
    events[i] = '{"id":"' .. new_id() .. '","type":"app_opened","occurred_at":"' .. occurred_at .. '"}'
  end
  return wrk.format("POST", nil, nil, '{"events":[' .. table.concat(events, ",") .. ']}')
end
