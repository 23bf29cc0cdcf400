-- wrk script: POST the JSON bodies in the file named by $BODIES (one per line) in turn, so that
-- consecutive requests ask for different pages; $AUTH, if set, is sent as the Authorization header.
-- It counts 200 responses whose body carries GraphQL "errors", and responses that are not 200.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local auth = os.getenv("AUTH")
if auth and auth ~= "" then wrk.headers["Authorization"] = auth end

local bodies = {}
for line in io.lines(os.getenv("BODIES")) do
  if line ~= "" then table.insert(bodies, line) end
end
assert(#bodies > 0, "no request bodies in " .. os.getenv("BODIES"))

local threads = {}
function setup(thread) table.insert(threads, thread) end

function init(args)
  gql_errors = 0; responses = 0; non200 = 0; next_body = 0
end

function request()
  next_body = next_body % #bodies + 1
  return wrk.format(nil, nil, nil, bodies[next_body])
end

function response(status, headers, body)
  responses = responses + 1
  if status ~= 200 then non200 = non200 + 1
  elseif string.find(body, '"errors"', 1, true) then gql_errors = gql_errors + 1 end
end

function done(summary, latency, requests)
  local e, n, bad = 0, 0, 0
  for _, t in ipairs(threads) do
    e = e + t:get("gql_errors"); n = n + t:get("responses"); bad = bad + t:get("non200")
  end
  io.write(string.format("GQL_ERRORS %d RESPONSES %d NON200 %d BODIES %d\n", e, n, bad, #bodies))
end
