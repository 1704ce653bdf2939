-- wrk script: POST /api/events, each request a fresh batch of events with ids unique across the run.
-- Arguments (after --): batch size, occurred_at (ISO 8601 with Z), a run nonce (hex, 8 digits).
-- An id is <nonce>-<thread>-4<random>-<variant><random>-<counter>: UUIDv4 format, unique by construction
-- (nonce per wrk run, thread id, per-thread counter) and partly random as the phone's would be.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

responses, non200, first_bad = 0, 0, ""
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

function response(status, headers, body)
  responses = responses + 1
  if status ~= 200 then
    non200 = non200 + 1
    if first_bad == "" then first_bad = status .. " " .. string.sub(body or "", 1, 200) end
  end
end

function done(summary, latency, requests)
  local total, bad, first = 0, 0, ""
  for _, t in ipairs(threads) do
    total = total + t:get("responses")
    bad = bad + t:get("non200")
    if first == "" then first = t:get("first_bad") end
  end
  io.write(string.format("bench-status responses=%d non200=%d first=%s\n", total, bad,
                         (string.gsub(first, "%s+", " "))))
end
