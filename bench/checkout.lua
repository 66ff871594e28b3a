-- wrk script for bench/checkout.py: POST /api/v1/orders, a pickup of one unit, rotating the
-- shoppers' bearer tokens. Arguments: tokens file (one per line), targets file ("sku<TAB>
-- center_id" per line; the first is the hot product), mode ("hot" or "spread").
-- At the end it prints "status <code> <count>" for every status seen, over all threads.

local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  tokens, targets, statuses = {}, {}, {}
  for line in io.lines(args[1]) do tokens[#tokens + 1] = line end
  for line in io.lines(args[2]) do targets[#targets + 1] = line end
  mode = args[3] or "hot"
  counter = id * 7919
  math.randomseed(os.time() + id * 104729)
end

function request()
  counter = counter + 1
  local token = tokens[(counter % #tokens) + 1]
  local target = targets[1]
  if mode == "spread" then target = targets[math.random(#targets)] end
  local sku, center = target:match("([^\t]+)\t(%d+)")
  local body = '{"lines":[{"sku":"' .. sku .. '","quantity":1}],' ..
    '"fulfillment":{"method":"pickup","center_id":' .. center .. '},' ..
    '"payment_method":"pay_at_pickup"}'
  return wrk.format("POST", "/api/v1/orders",
    {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"}, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      total[status] = (total[status] or 0) + count
    end
  end
  for status, count in pairs(total) do
    io.write(string.format("status %d %d\n", status, count))
  end
end
