-- wrk script: sends the URL with "Authorization: DPoP <token>" and a DPoP proof of its own on
-- every request (RFC 9449: a proof is good once), taken in turn from a file of proofs made for
-- this URL just before the run (bench/ProofSender make): cases (e-mem) and (e-redis).
--
--   wrk ... -s dpop.lua <url> -- <token-file> <proof-file>
--
-- Should wrk outrun the file, it starts over: the replays are refused with 401, and run.sh then
-- marks the run invalid rather than report it.

local token
local proofs = {}
local total = 0
local next_index = 0

function init(args)
  local token_path, proof_path = args[1], args[2]
  if token_path == nil or proof_path == nil then
    error("usage: -s dpop.lua <url> -- <token-file> <proof-file>")
  end

  token = "DPoP " .. io.open(token_path):read("*l")
  for proof in io.lines(proof_path) do
    total = total + 1
    proofs[total] = proof
  end

  if total == 0 then
    error(proof_path .. " holds no proofs")
  end
end

function request()
  next_index = next_index % total + 1
  return wrk.format("GET", wrk.path, { ["Authorization"] = token, ["DPoP"] = proofs[next_index] })
end
