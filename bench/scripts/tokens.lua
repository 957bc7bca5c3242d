-- wrk script: sends the URL with "Authorization: Bearer <token>", cycling through the first
-- <count> tokens of a file (one per line) for the whole run: case (c), many distinct callers.
--
--   wrk ... -s tokens.lua <url> -- <token-file> <count>
--
-- Requests are formatted once in init, so the client spends no time building them, and no
-- response() is defined, so wrk does not hand bodies to Lua.

local requests = {}
local total = 0
local next_index = 0

function init(args)
  local path, count = args[1], tonumber(args[2])
  if path == nil or count == nil then
    error("usage: -s tokens.lua <url> -- <token-file> <count>")
  end

  for token in io.lines(path) do
    total = total + 1
    requests[total] = wrk.format("GET", wrk.path, { ["Authorization"] = "Bearer " .. token })
    if total == count then break end
  end

  if total < count then
    error(string.format("%s holds %d tokens; %d needed", path, total, count))
  end
end

function request()
  next_index = next_index % total + 1
  return requests[next_index]
end
