-- wrk script for the GET measurements: counts every answer that is not 200 (wrk itself only counts >= 400).
-- events.lua loads this file too, so the counting is written once. `threads` is global for that reason.
threads = {}

function setup(thread)
  table.insert(threads, thread)
end

responses, non200, first_bad = 0, 0, ""

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
