#!/usr/bin/env bash
# Load benchmark of the API's token check (README, "Performance"; results in bench/RESULTS.md). The one command, from anywhere:
#
#   bench/run.sh                          # 3 rounds of 10 s per case, then the memory run
#   ROUNDS=5 DURATION=20s bench/run.sh    # longer
#   BEFORE_REF=d73e99d bench/run.sh       # the same cases on an older commit too, interleaved
#   ROUNDS=1 DURATION=3s MEMORY_TOKENS=0 bench/run.sh   # quick look while iterating
#
# What it does, on 127.0.0.1 only, every step bounded in time:
#   1. builds in Release, into bench/results/build/: the API, the stock comparator
#      (bench/baseline), the loopback issuer (bench/Issuer), the memory-run client
#      (bench/TokenSender), the DPoP proof maker (bench/ProofSender) and the DPoP cases' control
#      (bench/ApiControl: the root's Program.cs and src/ plus one endpoint); with BEFORE_REF, also
#      the API as it was at that commit, checked out with `git worktree add` into
#      bench/results/before-src/ (git-ignored; reused by later runs);
#   2. starts the issuer (discovery + JWKS over http), which writes TOKENS + MEMORY_TOKENS
#      distinct valid tokens with permissions ["read:messages"] (the memory run's are unused before);
#   3. starts the API (Production, logging at Warning), the before build if any (the same way) and
#      the baseline against that issuer, checks each answers 200/401 as it should, and warms each up
#      (STARTUP_WARMUP per path: right after start .NET still runs unoptimized tier-0 code, which
#      once cost 3x the CPU); with FLOOD=1, one more of each (API, before build, baseline) logging
#      at Information, the levels a deployment of the API runs with (appsettings.json: Default
#      Information, Microsoft.AspNetCore Warning), its console log going to a file
#      (bench/results/raw/<server>-flood-<n>.log) as a container's stdout would;
#   4. per round, each case a warm-up (WARMUP) then a measured run of wrk -t1 -cCONNECTIONS
#      --latency (DURATION), in this order so that compared pairs share the machine's noise:
#        a           API       /api/public, no token
#        b           API       /api/private-scoped, one token reused
#        b@before    before    the same (BEFORE_REF only)
#        a@before    before    /api/public, no token (BEFORE_REF only)
#        d-b         baseline  /api/private-scoped, one token reused
#        c           API       /api/private-scoped, TOKENS distinct tokens in turn (scripts/tokens.lua)
#        d-c         baseline  the same
#        c@before    before    the same (BEFORE_REF only)
#        d-a         baseline  /api/public, no token (to split framework cost from auth cost)
#        b-mem       API with limits, in memory   as (b), a rate limit configured high enough
#                                                 never to trigger (LIMITS=1)
#        b-redis     API with limits, in Redis    the same, counted in a redis-server of its own
#        b-v         API + ES256 (control)        /api/private-scoped-es256: (b) plus one ES256 verification
#                                                 in the handler (bench/ApiControl; DPOP=1)
#        e-mem       API (DPoP, in memory)        /api/private-scoped, one DPoP-bound token and a fresh
#                                                 ES256 proof per request (DPOP=1; scripts/dpop.lua)
#        e-redis     API (DPoP, Redis)            the same, proofs' jti recorded in the redis-server
#      then, per round with DPOP=1, the ES256 micro-benchmark and the API's proof check in-process
#      on the same proofs (bench/ProofSender check);
#        f           API (Information)       forged-token flood: /api/private, one token whose
#                                            signature was altered, refused with 401 every time
#        f@before    before (Information)    the same (BEFORE_REF only)
#        d-f         baseline (Information)  the same on /api/private-scoped (it has no /api/private)
#      Each run records req/s, p50/p99 latency, the server's CPU time per request
#      (/proc/<pid>/stat) and, for the flood cases, the bytes its log grew by (waiting after wrk
#      until the logger's queue is written out); a run is marked invalid if any answer was not 2xx
#      (flood cases: if any answer was 2xx), or on socket errors;
#   5. memory run (MEMORY_TOKENS > 0): a fresh API, and then a fresh baseline, receive
#      MEMORY_TOKENS distinct tokens, each exactly once, in two halves; RSS after each half and
#      the peak (VmHWM) show whether anything grows with the number of distinct tokens;
#   6. writes bench/results/latest.md (medians, ratios against the targets, before/after per case
#      with BEFORE_REF, the flood table, verdict; raw runs in bench/results/raw/) to paste into
#      bench/RESULTS.md, and prints it.
#
# Settings (environment): ROUNDS=3 DURATION=10s WARMUP=3s STARTUP_WARMUP=5s CONNECTIONS=32 TOKENS=2000
#   MEMORY_TOKENS=100000 (0 skips the memory run), SKIP_BUILD=1 (reuse bench/results/build),
#   SERVER_ENV="K=V ..." (extra environment for every server, e.g. DOTNET_gcServer=0),
#   API_PROJECT=path/to/Api.csproj (measure another copy of the API, e.g. a candidate change,
#   against the same baseline; the control (b-v) is still built from this checkout's sources),
#   BEFORE_REF=<commit or branch> (also measure the API as it was there: cases a, b, c and f,
#   each right next to the current build's; reports after ÷ before per case),
#   FLOOD=0 (skip the forged-token flood cases and their servers),
#   LIMITS=0 (skip the rate-limit cases b-mem and b-redis, their two servers and redis-server;
#   redis-server is Debian's package, installed with apt-get when missing),
#   DPOP=0 (skip the DPoP cases b-v, e-mem and e-redis, their servers and the proof memory run),
#   DPOP_RATE=20000 (proofs made per second of each wrk run: more than the server can take, since a
#   proof is good once), DPOP_MEMORY_PROOFS=1000000 (the proof memory run; 0 skips it),
#   PROFILE=1 (after the rounds, one more run of each case (a, b, c, d-a, d-b, d-c, b-v, e-mem, f, f@before)
#   under `perf record -g`, broken down by scripts/perf_breakdown.py into CPU µs per request per
#   stage, (a) and (d-a) also per middleware (what the API adds to an anonymous request), and
#   under dotnet-counters for the bytes allocated per request; installs Debian's linux-perf and the
#   dotnet-counters tool (into bench/results/tools) if missing, and starts every server with
#   DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 so perf can name JIT-compiled code).
# Needs dotnet (global.json's SDK), curl, git (BEFORE_REF), and wrk (installed with apt-get when missing).
# The machine is shared and noisy: compare the ratios of one run, not numbers across runs.
# Every process it starts is stopped on exit, however it exits.
set -Eeuo pipefail
# set -e ends the script at any failing command; say which, instead of ending silently.
trap 'echo "[bench] error: line $LINENO: $BASH_COMMAND failed" >&2' ERR

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=$ROOT/bench
OUT=$BENCH/results
BUILD=$OUT/build
RAW=$OUT/raw

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-3s}
STARTUP_WARMUP=${STARTUP_WARMUP:-5s}
CONNECTIONS=${CONNECTIONS:-32}
TOKENS=${TOKENS:-2000}
MEMORY_TOKENS=${MEMORY_TOKENS:-100000}
SKIP_BUILD=${SKIP_BUILD:-0}
SERVER_ENV=${SERVER_ENV:-}
COMMAND_EXTRA="${SERVER_ENV:+ SERVER_ENV=\"$SERVER_ENV\"}" # the settings to repeat in the report
PROFILE=${PROFILE:-0}
BEFORE_REF=${BEFORE_REF:-}
FLOOD=${FLOOD:-1}
[[ -z $BEFORE_REF ]] || COMMAND_EXTRA+=" BEFORE_REF=$BEFORE_REF"
[[ $FLOOD == 1 ]] || COMMAND_EXTRA+=" FLOOD=$FLOOD"
LIMITS=${LIMITS:-1}
[[ $LIMITS == 1 ]] || COMMAND_EXTRA+=" LIMITS=$LIMITS"
DPOP=${DPOP:-1}
[[ $DPOP == 1 ]] || COMMAND_EXTRA+=" DPOP=$DPOP"
DPOP_RATE=${DPOP_RATE:-20000}
DPOP_MEMORY_PROOFS=${DPOP_MEMORY_PROOFS:-1000000}
[[ $DPOP_MEMORY_PROOFS == 1000000 ]] || COMMAND_EXTRA+=" DPOP_MEMORY_PROOFS=$DPOP_MEMORY_PROOFS"
[[ $PROFILE != 1 ]] || COMMAND_EXTRA+=" PROFILE=1"
API_PROJECT=${API_PROJECT:-$ROOT/Api.csproj}
AUDIENCE=https://bench.example/api
TOKEN_FILE=$RAW/tokens.txt
RUNS=$RAW/runs.tsv

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# --- processes: every one started is remembered and stopped on exit ---------------------------

PIDS=()
stop_process() {
  local pid=$1
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do stop_process "$pid"; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start NAME DIR COMMAND...: runs COMMAND in DIR in the background, output to raw/NAME.log;
# sets STARTED to its pid. `exec` makes the pid the server's own, so it can be measured and killed.
start() {
  local name=$1 dir=$2
  shift 2
  (cd "$dir" && exec "$@") >"$RAW/$name.log" 2>&1 &
  STARTED=$!
  PIDS+=("$STARTED")
}

# wait_for PID SECONDS COMMAND...: until COMMAND succeeds, the process dies, or time runs out.
wait_for() {
  local pid=$1 seconds=$2
  shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    kill -0 "$pid" 2>/dev/null || return 1
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

seconds_of() { # 10s, 2m, 500ms, 10 -> whole seconds, at least 1
  local value=$1
  case $value in
    *ms) echo 1 ;;
    *s) echo "${value%s}" ;;
    *m) echo $((${value%m} * 60)) ;;
    *h) echo $((${value%h} * 3600)) ;;
    *) echo "$value" ;;
  esac
}

cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
status_kb() { awk -v key="$2:" '$1 == key { print $2 }' "/proc/$1/status"; }
mb() { awk -v kb="$1" 'BEGIN { printf "%.0f", kb / 1024 }'; }

# --- tools and builds ---------------------------------------------------------------------------

mkdir -p "$OUT" "$RAW"
command -v dotnet >/dev/null || die "dotnet is not installed"
command -v curl >/dev/null || die "curl is not installed"
if ! command -v wrk >/dev/null; then
  log "installing wrk (Debian package)"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; } >"$RAW/apt.log" 2>&1 \
    || die "could not install wrk: see $RAW/apt.log"
fi

if [[ $PROFILE == 1 ]]; then
  if ! command -v perf >/dev/null; then
    log "installing perf (Debian package linux-perf)"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq linux-perf; } >"$RAW/apt-perf.log" 2>&1 \
      || die "could not install perf: see $RAW/apt-perf.log"
  fi
  command -v python3 >/dev/null || die "PROFILE=1 needs python3 for scripts/perf_breakdown.py"
  COUNTERS=$OUT/tools/dotnet-counters
  if [[ ! -x $COUNTERS ]]; then
    log "installing dotnet-counters into $OUT/tools"
    dotnet tool install dotnet-counters --tool-path "$OUT/tools" >"$RAW/tool-install.log" 2>&1 \
      || die "could not install dotnet-counters: see $RAW/tool-install.log"
  fi
  SERVER_ENV="DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0${SERVER_ENV:+ $SERVER_ENV}"
fi

build() { # NAME PROJECT
  log "building $1 (Release)"
  if ! dotnet publish "$2" -c Release -o "$BUILD/$1" >"$RAW/build-$1.log" 2>&1; then
    tail -30 "$RAW/build-$1.log" >&2
    die "build of $2 failed: see $RAW/build-$1.log"
  fi
}
if [[ $SKIP_BUILD != 1 ]]; then
  build api "$API_PROJECT"
  build baseline "$BENCH/baseline/Baseline.csproj"
  build issuer "$BENCH/Issuer/Issuer.csproj"
  build sender "$BENCH/TokenSender/TokenSender.csproj"
  build proofs "$BENCH/ProofSender/ProofSender.csproj"
  build control "$BENCH/ApiControl/ApiControl.csproj"
fi

# The before build: BEFORE_REF checked out in a worktree of this repository (a detached HEAD, so
# no branch is touched), published like the API. The commit it was built from is stamped next to
# it, so SKIP_BUILD=1 cannot measure one commit under another's name.
BEFORE=
if [[ -n $BEFORE_REF ]]; then
  command -v git >/dev/null || die "BEFORE_REF needs git"
  BEFORE_COMMIT=$(git -C "$ROOT" rev-parse --verify --quiet "$BEFORE_REF^{commit}") || die "BEFORE_REF=$BEFORE_REF is not a commit of $ROOT"
  BEFORE=$(git -C "$ROOT" rev-parse --short "$BEFORE_COMMIT")
  BEFORE_SRC=$OUT/before-src
  if [[ $SKIP_BUILD != 1 ]]; then
    if [[ -e $BEFORE_SRC/.git ]]; then
      git -C "$BEFORE_SRC" checkout -q --force --detach "$BEFORE_COMMIT" || die "could not check out $BEFORE in $BEFORE_SRC"
    else
      # --force: a worktree once registered there but since deleted is re-added, not refused.
      git -C "$ROOT" worktree add -q --force --detach "$BEFORE_SRC" "$BEFORE_COMMIT" >"$RAW/worktree.log" 2>&1 \
        || die "git worktree add of $BEFORE failed: see $RAW/worktree.log"
    fi
    build before "$BEFORE_SRC/Api.csproj"
    echo "$BEFORE_COMMIT" >"$BUILD/before/.commit"
  fi
  [[ -f $BUILD/before/Api.dll && $(cat "$BUILD/before/.commit" 2>/dev/null) == "$BEFORE_COMMIT" ]] \
    || die "bench/results/build/before is not a build of $BEFORE: run without SKIP_BUILD=1"
fi

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
# What "after" is: the commit of the measured API's copy, and whether it had uncommitted changes.
API_DIR=$(dirname "$API_PROJECT")
if CURRENT_DESC=$(git -C "$API_DIR" rev-parse --short HEAD 2>/dev/null); then
  CURRENT_DESC="$CURRENT_DESC ($(git -C "$API_DIR" log -1 --format=%s HEAD))"
  [[ -z $(git -C "$API_DIR" status --porcelain --untracked-files=no 2>/dev/null) ]] || CURRENT_DESC="$CURRENT_DESC with uncommitted changes"
else
  CURRENT_DESC="$API_DIR (not a git checkout)"
fi
API_PROJECT_NOTE=
[[ $API_PROJECT -ef $ROOT/Api.csproj ]] || API_PROJECT_NOTE="API_PROJECT=$API_PROJECT "

# --- issuer and tokens --------------------------------------------------------------------------

TOKEN_COUNT=$((TOKENS + MEMORY_TOKENS))
rm -f "$RAW/issuer.ready" "$TOKEN_FILE"
log "starting the issuer; it signs $TOKEN_COUNT tokens"
start issuer "$BUILD/issuer" dotnet Issuer.dll --audience "$AUDIENCE" --tokens "$TOKEN_FILE" \
  --count "$TOKEN_COUNT" --ready "$RAW/issuer.ready" --dpop "$RAW/dpop"
ISSUER_PID=$STARTED
wait_for "$ISSUER_PID" 900 test -s "$RAW/issuer.ready" || { cat "$RAW/issuer.log" >&2; die "the issuer did not get ready"; }
ISSUER_PORT=$(cat "$RAW/issuer.ready")
log "$(cat "$RAW/issuer.log")"
TOKEN=$(head -n 1 "$TOKEN_FILE")
LAST_TOKEN=$(sed -n "${TOKENS}p" "$TOKEN_FILE")
# One signature character changed (not the last, whose low bits may be padding): must be refused.
TAMPERED=$(awk '{ i = length($0) - 10; c = substr($0, i, 1); print substr($0, 1, i - 1) (c == "A" ? "B" : "A") substr($0, i + 1) }' <<<"$TOKEN")

# --- servers ------------------------------------------------------------------------------------

WRK_TIMEOUT=$(($(seconds_of "$DURATION") + 60))
WARMUP_TIMEOUT=$(($(seconds_of "$WARMUP") + 60))
STARTUP_TIMEOUT=$(($(seconds_of "$STARTUP_WARMUP") + 60))
CLK_TCK=$(getconf CLK_TCK)

# The environment both servers run with. Port 0: the kernel picks a free port (a port chosen in
# advance can be taken meanwhile by one of wrk's ephemeral ports); the one start-up line
# "Now listening on: ..." (Microsoft.Hosting.Lifetime, Information) tells which.
server_env() {
  # shellcheck disable=SC2086 # SERVER_ENV is a list of K=V words
  echo ASPNETCORE_ENVIRONMENT=Production ASPNETCORE_URLS=http://127.0.0.1:0 \
    "Auth0__Domain=http://127.0.0.1:$ISSUER_PORT/" "Auth0__Audience=$AUDIENCE" \
    Logging__LogLevel__Default=Warning Logging__LogLevel__Microsoft.AspNetCore=Warning \
    Logging__LogLevel__Microsoft.Hosting.Lifetime=Information $SERVER_ENV
}

listening_on() { { grep -o 'Now listening on: http://127\.0\.0\.1:[0-9]*' "$1" || true; } | head -n 1 | sed 's/Now listening on: //'; }

# start_server LABEL BUILD DLL READY-PATH [K=V ...]: starts bench/results/build/BUILD/DLL with
# server_env and then K=V ... (later settings win); sets SERVER_PID, SERVER_URL and SERVER_LOG (its
# console output) once READY-PATH answers 200.
START_COUNT=0
start_server() {
  local label=$1 build=$2 dll=$3 ready=$4 log
  shift 4
  START_COUNT=$((START_COUNT + 1))
  log=$RAW/$label-$START_COUNT.log
  # Emptied here, not only by the child's redirection, which happens later: the same file from an
  # earlier run would otherwise say "Application started" and name that run's port.
  : >"$log"
  # shellcheck disable=SC2046 # server_env prints K=V words
  start "$label-$START_COUNT" "$BUILD/$build" env $(server_env) "$@" dotnet "$dll"
  SERVER_PID=$STARTED
  SERVER_LOG=$log
  # "Application started" comes after "Now listening on", so that line is complete by then.
  wait_for "$SERVER_PID" 90 grep -q 'Application started' "$log" || { cat "$log" >&2; die "$label did not start"; }
  SERVER_URL=$(listening_on "$log")
  [[ -n $SERVER_URL ]] || { cat "$log" >&2; die "$label did not say where it listens"; }
  wait_for "$SERVER_PID" 90 curl -sf "$SERVER_URL$ready" || { cat "$log" >&2; die "$label did not get ready"; }
}

start_api() { # sets API_PID, API_URL
  start_server api api Api.dll /health/ready
  API_PID=$SERVER_PID
  API_URL=$SERVER_URL
  preflight "$API_URL" API
  startup_warmup "$API_URL" API
}

start_before() { # sets OLD_PID, OLD_URL
  start_server before before Api.dll /health/ready
  OLD_PID=$SERVER_PID
  OLD_URL=$SERVER_URL
  preflight "$OLD_URL" "before ($BEFORE)"
  startup_warmup "$OLD_URL" "before ($BEFORE)"
}

start_baseline() { # sets BASE_PID, BASE_URL
  start_server baseline baseline Baseline.dll /api/public
  BASE_PID=$SERVER_PID
  BASE_URL=$SERVER_URL
  preflight "$BASE_URL" baseline
  startup_warmup "$BASE_URL" baseline
}

# The flood servers log at the levels a deployment runs with (appsettings.json's: Default
# Information, Microsoft.AspNetCore Warning; the baseline has no appsettings.json, so it gets them
# here too). Sets SERVER_PID, SERVER_URL, SERVER_LOG.
FLOOD_ENV=(Logging__LogLevel__Default=Information Logging__LogLevel__Microsoft.AspNetCore=Warning)
start_flood_server() { # LABEL BUILD DLL READY-PATH FLOOD-PATH NAME
  start_server "$1-flood" "$2" "$3" "$4" "${FLOOD_ENV[@]}"
  expect 401 "$SERVER_URL$5" "$TAMPERED"
  expect 200 "$SERVER_URL/api/public"
  log "$6 (logging at Information) ready at $SERVER_URL: tampered token 401 on $5, public 200"
  timeout "$STARTUP_TIMEOUT" wrk -t1 -c"$CONNECTIONS" -d"$STARTUP_WARMUP" -H "Authorization: Bearer $TAMPERED" \
    "$SERVER_URL$5" >/dev/null 2>&1 || die "start-up warm-up of $6 (flood) failed"
  log "$6 (logging at Information) warmed up"
}

expect() { # STATUS URL [TOKEN]
  local status
  if [[ -n ${3:-} ]]; then
    status=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $3" "$2")
  else
    status=$(curl -s -o /dev/null -w '%{http_code}' "$2")
  fi
  [[ $status == "$1" ]] || die "$2 answered $status, expected $1"
}

# A benchmark of refusals would flatter anyone: each server must answer as the cases assume.
preflight() { # URL NAME
  expect 200 "$1/api/public"
  expect 401 "$1/api/private-scoped"
  expect 200 "$1/api/private-scoped" "$TOKEN"
  expect 200 "$1/api/private-scoped" "$LAST_TOKEN"
  expect 401 "$1/api/private-scoped" "$TAMPERED"
  log "$2 ready at $1: public 200, no token 401, tokens 200, tampered token 401"
}

# Every path the cases take, long enough for .NET's tiered JIT to settle on optimized code.
startup_warmup() { # URL NAME
  timeout "$STARTUP_TIMEOUT" wrk -t1 -c"$CONNECTIONS" -d"$STARTUP_WARMUP" "$1/api/public" >/dev/null 2>&1 \
    && timeout "$STARTUP_TIMEOUT" wrk -t1 -c"$CONNECTIONS" -d"$STARTUP_WARMUP" -H "Authorization: Bearer $TOKEN" \
      "$1/api/private-scoped" >/dev/null 2>&1 \
    && timeout "$STARTUP_TIMEOUT" wrk -t1 -c"$CONNECTIONS" -d"$STARTUP_WARMUP" -s "$BENCH/scripts/tokens.lua" \
      "$1/api/private-scoped" -- "$TOKEN_FILE" "$TOKENS" >/dev/null 2>&1 \
    || die "start-up warm-up of $2 failed"
  log "$2 warmed up"
}

# The rate-limit servers: every client with a valid token gets a budget of 2,000,000,000 requests
# an hour (never reached: wrk sends ~50,000 a second at most here), so (b-mem) and (b-redis) cost
# what counting costs and nothing is ever refused. Anonymous requests get 3 an hour, so that the
# preflight can see each server refuse the 4th with 429: proof the limiter is on, not just set.
LIMIT_ENV=(RateLimits__Default__Limit=2000000000 RateLimits__Default__Window=01:00:00
  RateLimits__Anonymous__Limit=3 RateLimits__Anonymous__Window=01:00:00)

# A redis-server of the run's own on a free loopback port, nothing saved to disk; sets REDIS_PORT.
# A port taken meanwhile makes redis-server exit at once, and the next candidate is tried.
start_redis() {
  if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
    log "installing redis-server (Debian package)"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server; } >"$RAW/apt-redis.log" 2>&1 \
      || die "could not install redis-server: see $RAW/apt-redis.log"
  fi
  local attempt port
  for attempt in $(seq 10); do
    port=$((20000 + RANDOM % 20000))
    start "redis-$attempt" "$RAW" redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no
    if wait_for "$STARTED" 10 grep -q 'Ready to accept connections' "$RAW/redis-$attempt.log"; then
      REDIS_PID=$STARTED REDIS_PORT=$port
      log "redis-server $(redis-server --version | grep -o 'v=[0-9.]*') ready on 127.0.0.1:$port"
      return 0
    fi
    stop_process "$STARTED"
  done
  die "redis-server did not start: see $RAW/redis-*.log"
}

# limit_preflight URL NAME: a token is answered 200; anonymous requests, 200 up to the limit of 3 and
# then 429. Then (b) alone is warmed up: the anonymous budget is spent, and (b) is all these serve.
limit_preflight() {
  local n status
  expect 200 "$1/api/private-scoped" "$TOKEN"
  for n in 1 2 3 4; do
    status=$(curl -s -o /dev/null -w '%{http_code}' "$1/api/public")
    if ((n < 4)); then
      [[ $status == 200 ]] || die "$2: anonymous request $n answered $status, expected 200"
    else
      [[ $status == 429 ]] || die "$2: anonymous request $n answered $status, expected 429 (is the limiter on?)"
    fi
  done
  log "$2 ready at $1: token 200, anonymous 200 x3 then 429"
  timeout "$STARTUP_TIMEOUT" wrk -t1 -c"$CONNECTIONS" -d"$STARTUP_WARMUP" -H "Authorization: Bearer $TOKEN" \
    "$1/api/private-scoped" >/dev/null 2>&1 || die "start-up warm-up of $2 failed"
  log "$2 warmed up"
}

# The DPoP servers. The in-memory replay cache remembers each proof for ProofMaxAge + leeway
# (5.5 min): its default bound, 500,000 proofs, is sized for ~1,500 DPoP requests a second, and a
# full cache refuses new proofs with 503. This run sends up to ~15,000 a second, so the in-memory
# server gets room for 5,000,000 (~375 MB at ~75 bytes each), as an operator expecting that load would.
DPOP_MEMORY_ENV=(Auth0__DPoP__ReplayCacheSize=5000000)
DPOP_TOKEN_FILE=$RAW/dpop.token
DPOP_KEY_FILE=$RAW/dpop.key.pem

# make_proofs NAME URL COUNT: a file of COUNT fresh proofs for GET URL; sets PROOF_FILE.
make_proofs() {
  PROOF_FILE=$RAW/proofs-$1.txt
  dotnet "$BUILD/proofs/ProofSender.dll" make --key "$DPOP_KEY_FILE" --token "$DPOP_TOKEN_FILE" --url "$2" \
    --count "$3" --out "$PROOF_FILE" >"$RAW/proofs.log" 2>&1 || { cat "$RAW/proofs.log" >&2; die "making proofs for $2 failed"; }
}

dpop_status() { # URL PROOF: the status a DPoP request with the bound token and PROOF gets
  curl -s -o /dev/null -w '%{http_code}' -H "Authorization: DPoP $(cat "$DPOP_TOKEN_FILE")" -H "DPoP: $2" "$1"
}

expect_dpop() { # STATUS URL PROOF
  local status
  status=$(dpop_status "$2" "$3")
  [[ $status == "$1" ]] || die "$2 answered $status to a DPoP request, expected $1"
}

# dpop_preflight URL NAME: a fresh proof is answered 200, the same proof again 401 (replayed), the
# bound token as a bearer token 401; then (e) alone is warmed up.
dpop_preflight() {
  local proof
  make_proofs preflight "$1/api/private-scoped" 1
  proof=$(head -n 1 "$PROOF_FILE")
  expect_dpop 200 "$1/api/private-scoped" "$proof"
  expect_dpop 401 "$1/api/private-scoped" "$proof"
  expect 401 "$1/api/private-scoped" "$(cat "$DPOP_TOKEN_FILE")"
  log "$2 ready at $1: fresh proof 200, replayed proof 401, bound token as bearer 401"
  make_proofs warmup "$1/api/private-scoped" $((DPOP_RATE * $(seconds_of "$STARTUP_WARMUP")))
  timeout "$STARTUP_TIMEOUT" wrk -t1 -c"$CONNECTIONS" -d"$STARTUP_WARMUP" -s "$BENCH/scripts/dpop.lua" \
    "$1/api/private-scoped" -- "$DPOP_TOKEN_FILE" "$PROOF_FILE" >/dev/null 2>&1 || die "start-up warm-up of $2 failed"
  log "$2 warmed up"
}

# --- measurement --------------------------------------------------------------------------------


# The forged token of the flood cases: tampered, so every request costs a full validation that fails.
is_flood() { [[ ${1%@before} == f || $1 == d-f ]]; }

case_args() { # CASE URL [SECONDS]: sets CASE_ARGS, wrk's arguments for the case (CASE@before: as CASE)
  case ${1%@before} in
    e-mem | e-redis)
      # Proofs are good once and for 5 minutes: made for this very run (the time it takes is not measured).
      make_proofs "$1" "$2/api/private-scoped" $((DPOP_RATE * $3))
      CASE_ARGS=(-s "$BENCH/scripts/dpop.lua" "$2/api/private-scoped" -- "$DPOP_TOKEN_FILE" "$PROOF_FILE")
      ;;
    a | d-a) CASE_ARGS=("$2/api/public") ;;
    b | d-b | b-mem | b-redis) CASE_ARGS=(-H "Authorization: Bearer $TOKEN" "$2/api/private-scoped") ;;
    b-v) CASE_ARGS=(-H "Authorization: Bearer $TOKEN" "$2/api/private-scoped-es256") ;;
    c | d-c) CASE_ARGS=(-s "$BENCH/scripts/tokens.lua" "$2/api/private-scoped" -- "$TOKEN_FILE" "$TOKENS") ;;
    f) CASE_ARGS=(-H "Authorization: Bearer $TAMPERED" "$2/api/private") ;;
    d-f) CASE_ARGS=(-H "Authorization: Bearer $TAMPERED" "$2/api/private-scoped") ;;
    *) die "unknown case $1" ;;
  esac
}

warm_up() { # CASE URL
  case_args "$1" "$2" "$(seconds_of "$WARMUP")"
  timeout "$WARMUP_TIMEOUT" wrk -t1 -c"$CONNECTIONS" -d"$WARMUP" "${CASE_ARGS[@]}" >"$RAW/warmup.txt" 2>&1 \
    || die "warm-up of ($1) failed: see $RAW/warmup.txt"
}

file_size() { stat -c %s "$1"; }

# run_wrk CASE PID URL OUTPUT [LOG]: the measured run; sets TICKS to the server's CPU ticks during
# it and, given the server's LOG file, LOG_BYTES to how much it grew. The console logger writes from
# a queue on its own thread, so after wrk ends the log is given time (up to 5 s) to stop growing:
# those lines, and the CPU spent writing them, belong to this run.
run_wrk() {
  local before after size0 size last
  case_args "$1" "$3" "$(seconds_of "$DURATION")"
  [[ -z ${5:-} ]] || size0=$(file_size "$5")
  before=$(cpu_ticks "$2")
  timeout "$WRK_TIMEOUT" wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency "${CASE_ARGS[@]}" >"$4" 2>&1 \
    || die "run ($1) failed: see $4"
  LOG_BYTES=0
  if [[ -n ${5:-} ]]; then
    last=-1
    for _ in $(seq 25); do
      size=$(file_size "$5")
      ((size != last)) || break
      last=$size
      sleep 0.2
    done
    LOG_BYTES=$((size - size0))
  fi
  after=$(cpu_ticks "$2")
  TICKS=$((after - before))
}

# measure ROUND CASE SERVER PID URL [LOG]: warm-up, then the measured run; appends one line to
# runs.tsv (with LOG, the bytes the server's log grew by; the answers expected: 2xx, or 4xx for a flood).
measure() {
  local round=$1 case=$2 server=$3 pid=$4 url=$5 log=${6:-} raw expected=2xx
  raw=$RAW/round$round-$case.txt
  is_flood "$case" && expected=4xx
  warm_up "$case" "$url"
  run_wrk "$case" "$pid" "$url" "$raw" "$log"
  kill -0 "$pid" 2>/dev/null || die "the $server server (pid $pid) died during ($case): see its log in $RAW"
  awk -v round="$round" -v case="$case" -v server="$server" -v ticks="$TICKS" -v hz="$CLK_TCK" \
    -v log_bytes="$LOG_BYTES" -v expected="$expected" '
    function ms(v) {
      if (v ~ /us$/) return substr(v, 1, length(v) - 2) / 1000
      if (v ~ /ms$/) return substr(v, 1, length(v) - 2) + 0
      if (v ~ /s$/) return substr(v, 1, length(v) - 1) * 1000
      if (v ~ /m$/) return substr(v, 1, length(v) - 1) * 60000
      if (v ~ /h$/) return substr(v, 1, length(v) - 1) * 3600000
      return v + 0
    }
    $1 == "50%" { p50 = ms($2) }
    $1 == "99%" { p99 = ms($2) }
    $1 == "Requests/sec:" { rps = $2 }
    $2 == "requests" && $3 == "in" { requests = $1; d = $4; sub(/,$/, "", d); seconds = ms(d) / 1000 }
    /Non-2xx or 3xx responses:/ { bad = $NF }
    /Socket errors:/ { gsub(/,/, ""); errors = $4 + $6 + $8 + $10 }
    END {
      cpu = requests > 0 ? ticks * 1000000 / hz / requests : 0
      log_rate = seconds > 0 ? log_bytes / seconds : 0
      printf "%s\t%s\t%s\t%.0f\t%.2f\t%.2f\t%d\t%d\t%d\t%.1f\t%.0f\t%s\n", round, case, server, rps, p50, p99, requests, bad,
        errors, cpu, log_rate, expected
    }' "$raw" >>"$RUNS"
  log "round $round ($case): $(tail -n 1 "$RUNS" | awk -F'\t' '{ printf "%s req/s, p50 %s ms, p99 %s ms, %s µs CPU/req, non-2xx %s%s", $4, $5, $6, $10, $8, ($12 == "4xx" ? ", log " $11 " bytes/s" : "") }')"
}

start_api
[[ -z $BEFORE ]] || start_before
start_baseline
if [[ $FLOOD == 1 ]]; then
  start_flood_server api api Api.dll /health/ready /api/private API
  FLOOD_API_PID=$SERVER_PID FLOOD_API_URL=$SERVER_URL FLOOD_API_LOG=$SERVER_LOG
  if [[ -n $BEFORE ]]; then
    start_flood_server before before Api.dll /health/ready /api/private "before ($BEFORE)"
    FLOOD_OLD_PID=$SERVER_PID FLOOD_OLD_URL=$SERVER_URL FLOOD_OLD_LOG=$SERVER_LOG
  fi
  start_flood_server baseline baseline Baseline.dll /api/public /api/private-scoped baseline
  FLOOD_BASE_PID=$SERVER_PID FLOOD_BASE_URL=$SERVER_URL FLOOD_BASE_LOG=$SERVER_LOG
fi
[[ $LIMITS != 1 && $DPOP != 1 ]] || start_redis
if [[ $LIMITS == 1 ]]; then
  start_server api-limits-memory api Api.dll /health/ready "${LIMIT_ENV[@]}"
  MEM_PID=$SERVER_PID MEM_URL=$SERVER_URL
  limit_preflight "$MEM_URL" "API with limits in memory"
  start_server api-limits-redis api Api.dll /health/ready "${LIMIT_ENV[@]}" "ConnectionStrings__Redis=127.0.0.1:$REDIS_PORT"
  REDIS_API_PID=$SERVER_PID REDIS_API_URL=$SERVER_URL
  limit_preflight "$REDIS_API_URL" "API with limits in Redis"
  # The counts are in Redis, not in the process: its keys prove it.
  REDIS_KEYS=$(redis-cli -p "$REDIS_PORT" dbsize)
  ((REDIS_KEYS > 0)) || die "API with limits in Redis wrote no key to redis-server"
  log "redis-server holds $REDIS_KEYS keys after the preflight"
fi
if [[ $DPOP == 1 ]]; then
  start_server api-control control Api.dll /health/ready
  CONTROL_PID=$SERVER_PID CONTROL_URL=$SERVER_URL
  preflight "$CONTROL_URL" "API + ES256 (control)"
  expect 401 "$CONTROL_URL/api/private-scoped-es256"
  expect 200 "$CONTROL_URL/api/private-scoped-es256" "$TOKEN"
  timeout "$STARTUP_TIMEOUT" wrk -t1 -c"$CONNECTIONS" -d"$STARTUP_WARMUP" -H "Authorization: Bearer $TOKEN" \
    "$CONTROL_URL/api/private-scoped-es256" >/dev/null 2>&1 || die "start-up warm-up of the control failed"
  log "API + ES256 (control): no token 401, token 200 on /api/private-scoped-es256; warmed up"
  start_server api-dpop-memory api Api.dll /health/ready "${DPOP_MEMORY_ENV[@]}"
  DPOP_MEM_PID=$SERVER_PID DPOP_MEM_URL=$SERVER_URL
  dpop_preflight "$DPOP_MEM_URL" "API for DPoP, replays in memory"
  start_server api-dpop-redis api Api.dll /health/ready "ConnectionStrings__Redis=127.0.0.1:$REDIS_PORT"
  DPOP_REDIS_PID=$SERVER_PID DPOP_REDIS_URL=$SERVER_URL
  dpop_preflight "$DPOP_REDIS_URL" "API for DPoP, replays in Redis"
  # The proofs are recorded in Redis, not in the process: its keys prove it.
  DPOP_KEYS=$(redis-cli -p "$REDIS_PORT" --scan --pattern 'dpop:*' | wc -l)
  ((DPOP_KEYS > 0)) || die "API for DPoP in Redis recorded no proof in redis-server"
  log "redis-server holds $DPOP_KEYS DPoP proof keys after the warm-up"
fi

OLD_NAME="before ($BEFORE)"
ES256=$RAW/es256.txt CHECK=$RAW/dpop-check.txt
: >"$ES256"
: >"$CHECK"
printf 'round\tcase\tserver\trps\tp50_ms\tp99_ms\trequests\tnon2xx\tsocket_errors\tcpu_us_per_req\tlog_bytes_per_s\texpected\n' >"$RUNS"
for round in $(seq "$ROUNDS"); do
  measure "$round" a API "$API_PID" "$API_URL"
  measure "$round" b API "$API_PID" "$API_URL"
  if [[ $LIMITS == 1 ]]; then
    measure "$round" b-mem "API, limits in memory" "$MEM_PID" "$MEM_URL"
    measure "$round" b-redis "API, limits in Redis" "$REDIS_API_PID" "$REDIS_API_URL"
  fi
  if [[ $DPOP == 1 ]]; then
    measure "$round" b-v "API + ES256 (control)" "$CONTROL_PID" "$CONTROL_URL"
    measure "$round" e-mem "API (DPoP, memory)" "$DPOP_MEM_PID" "$DPOP_MEM_URL"
    measure "$round" e-redis "API (DPoP, Redis)" "$DPOP_REDIS_PID" "$DPOP_REDIS_URL"
    # One ES256 verification, on this machine, in this round: what a DPoP request may cost over (b);
    # and the API's whole proof check on the same proofs, in-process (no HTTP around it).
    line=$(dotnet "$BUILD/proofs/ProofSender.dll" check --key "$DPOP_KEY_FILE" --token "$DPOP_TOKEN_FILE" \
      --url "$DPOP_MEM_URL/api/private-scoped" --seconds 3) || die "ProofSender check failed"
    sed -n 's/.*es256_verify_us=\([0-9.]*\).*/\1/p' <<<"$line" >>"$ES256"
    sed -n 's/.*dpop_check_us=\([0-9.]*\).*/\1/p' <<<"$line" >>"$CHECK"
    log "round $round: one ES256 verification takes $(tail -n 1 "$ES256") µs, the API's whole proof check $(tail -n 1 "$CHECK") µs"
  fi
  if [[ -n $BEFORE ]]; then
    measure "$round" b@before "$OLD_NAME" "$OLD_PID" "$OLD_URL"
    measure "$round" a@before "$OLD_NAME" "$OLD_PID" "$OLD_URL"
  fi
  measure "$round" d-b baseline "$BASE_PID" "$BASE_URL"
  measure "$round" c API "$API_PID" "$API_URL"
  measure "$round" d-c baseline "$BASE_PID" "$BASE_URL"
  [[ -z $BEFORE ]] || measure "$round" c@before "$OLD_NAME" "$OLD_PID" "$OLD_URL"
  measure "$round" d-a baseline "$BASE_PID" "$BASE_URL"
  if [[ $FLOOD == 1 ]]; then
    measure "$round" f "API (Information)" "$FLOOD_API_PID" "$FLOOD_API_URL" "$FLOOD_API_LOG"
    [[ -z $BEFORE ]] || measure "$round" f@before "$OLD_NAME (Information)" "$FLOOD_OLD_PID" "$FLOOD_OLD_URL" "$FLOOD_OLD_LOG"
    measure "$round" d-f "baseline (Information)" "$FLOOD_BASE_PID" "$FLOOD_BASE_URL" "$FLOOD_BASE_LOG"
  fi
done
API_HWM=$(status_kb "$API_PID" VmHWM)
BASE_HWM=$(status_kb "$BASE_PID" VmHWM)
[[ -z $BEFORE ]] || OLD_HWM=$(status_kb "$OLD_PID" VmHWM)

# --- profile (PROFILE=1) ------------------------------------------------------------------------

# profile CASE LABEL PID URL [LOG]: one more run of the case under perf and dotnet-counters (not
# part of the medians); sets PROFILED to "LABEL=samples-file:CPU-µs-per-request:bytes-allocated-per-request"
# for scripts/perf_breakdown.py.
profile() {
  local case=$1 label=$2 pid=$3 url=$4 log=${5:-} seconds perf_pid counters_pid requests cpu bytes
  seconds=$(seconds_of "$DURATION")
  warm_up "$case" "$url"
  # Allocation rate sampled every second over a window that holds the whole run (idle around it);
  # the run starts only once the session is connected, which can take seconds on a busy machine.
  rm -f "$RAW/counters-$case.csv"
  "$COUNTERS" collect -p "$pid" --format csv --refresh-interval 1 --counters System.Runtime \
    -o "$RAW/counters-$case.csv" --duration "$(printf '00:%02d:%02d' $(((seconds + 8) / 60)) $(((seconds + 8) % 60)))" \
    >"$RAW/counters-$case.log" 2>&1 &
  counters_pid=$!
  PIDS+=("$counters_pid")
  wait_for "$counters_pid" 60 grep -q 'Starting a counter session' "$RAW/counters-$case.log" \
    || die "dotnet-counters did not start: see $RAW/counters-$case.log"
  sleep 1.5
  perf record -F 999 -g -p "$pid" -o "$RAW/perf-$case.data" -- sleep $((seconds + 1)) >"$RAW/perf-$case.log" 2>&1 &
  perf_pid=$!
  PIDS+=("$perf_pid")
  sleep 0.5
  run_wrk "$case" "$pid" "$url" "$RAW/perf-$case.wrk.txt" "$log"
  wait "$perf_pid" || die "perf record failed: see $RAW/perf-$case.log"
  wait "$counters_pid" || die "dotnet-counters failed: see $RAW/counters-$case.log"
  perf script -i "$RAW/perf-$case.data" -F ip,sym,dso >"$RAW/perf-$case.txt" 2>/dev/null
  requests=$(awk '$2 == "requests" && $3 == "in" { print $1 }' "$RAW/perf-$case.wrk.txt")
  cpu=$(awk -v t="$TICKS" -v hz="$CLK_TCK" -v n="$requests" 'BEGIN { printf "%.1f", t * 1000000 / hz / n }')
  # A sample of exactly 0 means the counter stalled (an idle server still allocates ~30 KB/s for
  # the session itself): no number rather than a wrong one.
  bytes=$(awk -F, -v n="$requests" '/dotnet.gc.heap.total_allocated/ { s += $5; if ($5 == 0) stalled = 1 }
    END { if (stalled || s == 0) print ""; else printf "%.0f", s / n }' "$RAW/counters-$case.csv")
  PROFILED="$label=$RAW/perf-$case.txt:$cpu:$bytes"
  log "profiled ($case): $cpu µs CPU and ${bytes:-n/a} bytes allocated per request"
}
PROFILES=() ANONYMOUS_PROFILES=() FLOOD_PROFILES=()
if [[ $PROFILE == 1 ]]; then
  profile a "API (a)" "$API_PID" "$API_URL"
  PROFILES+=("$PROFILED") ANONYMOUS_PROFILES+=("$PROFILED")
  profile b "API (b)" "$API_PID" "$API_URL"
  PROFILES+=("$PROFILED")
  profile c "API (c)" "$API_PID" "$API_URL"
  PROFILES+=("$PROFILED")
  profile d-a "baseline (d-a)" "$BASE_PID" "$BASE_URL"
  PROFILES+=("$PROFILED") ANONYMOUS_PROFILES+=("$PROFILED")
  profile d-b "baseline (d-b)" "$BASE_PID" "$BASE_URL"
  PROFILES+=("$PROFILED")
  profile d-c "baseline (d-c)" "$BASE_PID" "$BASE_URL"
  PROFILES+=("$PROFILED")
  if [[ $DPOP == 1 ]]; then
    profile b-v "API + ES256 (b-v)" "$CONTROL_PID" "$CONTROL_URL"
    PROFILES+=("$PROFILED")
    profile e-mem "API, DPoP (e-mem)" "$DPOP_MEM_PID" "$DPOP_MEM_URL"
    PROFILES+=("$PROFILED")
  fi
  if [[ $FLOOD == 1 ]]; then
    profile f "API (f)" "$FLOOD_API_PID" "$FLOOD_API_URL" "$FLOOD_API_LOG"
    FLOOD_PROFILES+=("$PROFILED")
    if [[ -n $BEFORE ]]; then
      profile f@before "$BEFORE (f)" "$FLOOD_OLD_PID" "$FLOOD_OLD_URL" "$FLOOD_OLD_LOG"
      FLOOD_PROFILES+=("$PROFILED")
    fi
  fi
fi

for pid in "$API_PID" "$BASE_PID" ${OLD_PID:-} ${FLOOD_API_PID:-} ${FLOOD_OLD_PID:-} ${FLOOD_BASE_PID:-} \
  ${MEM_PID:-} ${REDIS_API_PID:-} ${DPOP_MEM_PID:-} ${DPOP_REDIS_PID:-} ${REDIS_PID:-}; do
  stop_process "$pid"
done

# --- memory run ---------------------------------------------------------------------------------

MEMORY_ROWS=()
memory_run() { # NAME PID URL
  local name=$1 pid=$2 url=$3 half=$((MEMORY_TOKENS / 2)) rss0 rss1 rss2 hwm line1 line2
  rss0=$(status_kb "$pid" VmRSS)
  line1=$(timeout 900 dotnet "$BUILD/sender/TokenSender.dll" --url "$url/api/private-scoped" --tokens "$TOKEN_FILE" \
    --offset "$TOKENS" --count "$half" --connections "$CONNECTIONS") || die "memory run of $name, first half: $line1"
  rss1=$(status_kb "$pid" VmRSS)
  line2=$(timeout 900 dotnet "$BUILD/sender/TokenSender.dll" --url "$url/api/private-scoped" --tokens "$TOKEN_FILE" \
    --offset $((TOKENS + half)) --count $((MEMORY_TOKENS - half)) --connections "$CONNECTIONS") || die "memory run of $name, second half: $line2"
  rss2=$(status_kb "$pid" VmRSS)
  hwm=$(status_kb "$pid" VmHWM)
  log "memory run, $name: $line1 | $line2 | RSS $(mb "$rss0") -> $(mb "$rss1") -> $(mb "$rss2") MB, peak $(mb "$hwm") MB"
  MEMORY_ROWS+=("| $name | $(mb "$rss0") | $(mb "$rss1") | $(mb "$rss2") | $(mb "$hwm") | ${line1##*rps=} / ${line2##*rps=} |")
}
if ((MEMORY_TOKENS > 0)); then
  start_api
  memory_run API "$API_PID" "$API_URL"
  stop_process "$API_PID"
  start_baseline
  memory_run baseline "$BASE_PID" "$BASE_URL"
  stop_process "$BASE_PID"
fi

# A fresh server whose in-memory replay cache can hold every proof of the run (and no more), then
# DPOP_MEMORY_PROOFS requests each with a proof of its own, in two halves: RSS shows what each
# remembered proof costs and that the cache stops at its bound.
DPOP_MEMORY_ROW=
if [[ $DPOP == 1 ]] && ((DPOP_MEMORY_PROOFS > 0)); then
  start_server api-dpop-memory-run api Api.dll /health/ready "Auth0__DPoP__ReplayCacheSize=$((DPOP_MEMORY_PROOFS + 1))"
  make_proofs memory-preflight "$SERVER_URL/api/private-scoped" 1
  expect_dpop 200 "$SERVER_URL/api/private-scoped" "$(head -n 1 "$PROOF_FILE")"
  half=$((DPOP_MEMORY_PROOFS / 2))
  rss0=$(status_kb "$SERVER_PID" VmRSS)
  line1=$(timeout 1800 dotnet "$BUILD/proofs/ProofSender.dll" send --key "$DPOP_KEY_FILE" --token "$DPOP_TOKEN_FILE" \
    --url "$SERVER_URL/api/private-scoped" --count "$half" --connections "$CONNECTIONS") || die "proof memory run, first half: $line1"
  rss1=$(status_kb "$SERVER_PID" VmRSS)
  line2=$(timeout 1800 dotnet "$BUILD/proofs/ProofSender.dll" send --key "$DPOP_KEY_FILE" --token "$DPOP_TOKEN_FILE" \
    --url "$SERVER_URL/api/private-scoped" --count $((DPOP_MEMORY_PROOFS - half)) --connections "$CONNECTIONS") || die "proof memory run, second half: $line2"
  rss2=$(status_kb "$SERVER_PID" VmRSS)
  hwm=$(status_kb "$SERVER_PID" VmHWM)
  # One more proof: with the cache full of proofs still live (each for 5.5 min), it is refused
  # with 503 rather than let in; 200 would mean the run outlasted the first proofs.
  make_proofs memory-over "$SERVER_URL/api/private-scoped" 1
  over=$(dpop_status "$SERVER_URL/api/private-scoped" "$(head -n 1 "$PROOF_FILE")")
  log "proof memory run: $line1 | $line2 | RSS $(mb "$rss0") -> $(mb "$rss1") -> $(mb "$rss2") MB, peak $(mb "$hwm") MB; one more proof: $over"
  DPOP_MEMORY_ROW="| $(mb "$rss0") | $(mb "$rss1") | $(mb "$rss2") | $(mb "$hwm") | $(awk -v a="$rss0" -v b="$rss2" -v n="$DPOP_MEMORY_PROOFS" 'BEGIN { printf "%.0f", (b - a) * 1024 / n }') | ${line1##*rps=} / ${line2##*rps=} | $over |"
  stop_process "$SERVER_PID"
fi

LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

# --- report -------------------------------------------------------------------------------------

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "n/a"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
values() { awk -F'\t' -v case="$1" -v col="$2" 'NR > 1 && $2 == case { print $col }' "$RUNS"; }
med() { values "$1" "$2" | median; }
# Ratio of two cases' req/s per round (both measured minutes apart), then the median over rounds.
ratio() {
  awk -F'\t' -v x="$1" -v y="$2" 'NR > 1 && $2 == x { a[$1] = $4 } NR > 1 && $2 == y { b[$1] = $4 }
    END { for (r in a) if (b[r] > 0) printf "%.3f\n", a[r] / b[r] }' "$RUNS" | median
}
verdict() { # VALUE OP TARGET
  awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN {
    if (v == "n/a" || t == "n/a") { print "n/a"; exit }
    ok = (op == ">=") ? v >= t : v <= t
    if (ok) print "**met**"
    else if (op == ">=") printf "**missed** (%.0f%% of target)\n", 100 * v / t
    else printf "**missed** (%.1fx the limit)\n", v / t
  }'
}

# Invalid: a 4xx/5xx where 2xx was expected, any 2xx/3xx in a flood (which expects only refusals), socket errors.
INVALID=$(awk -F'\t' 'NR > 1 && ($9 > 0 || ($12 == "4xx" ? $8 != $7 : $8 > 0)) { n++ } END { print n + 0 }' "$RUNS")
RATIO_BA=$(ratio b a)
RATIO_CDC=$(ratio c d-c)
RATIO_BDB=$(ratio b d-b)
P99_B=$(med b 6)
CPU_A=$(med a 10)
CPU_B=$(med b 10)
CPU_C=$(med c 10)
CPU_DA=$(med d-a 10)
CPU_DB=$(med d-b 10)
CPU_DC=$(med d-c 10)
diff_us() { awk -v x="$1" -v y="$2" 'BEGIN { printf "%.1f", x - y }'; }
# Median over rounds of a per-round quotient of two columns of one case (e.g. log bytes per request).
per_round() { # CASE NUMERATOR-COLUMN DENOMINATOR-COLUMN FORMAT
  awk -F'\t' -v case="$1" -v x="$2" -v y="$3" -v f="$4" 'NR > 1 && $2 == case && $y > 0 { printf f "\n", $x / $y }' "$RUNS" | median
}
kb() { awk -v b="$1" 'BEGIN { if (b == "n/a") print b; else printf "%.0f", b / 1024 }'; }
comma() { awk -v n="$1" 'BEGIN { s = sprintf("%d", n); while (s ~ /[0-9][0-9][0-9][0-9]/) sub(/[0-9][0-9][0-9]($|,)/, ",&", s); print s }'; }

row() { # CASE SERVER ROUTE TOKEN
  printf '| %s | %s | `%s` | %s | %s | %s | %s | %s |\n' "$1" "$2" "$3" "$4" \
    "$(comma "$(med "$1" 4)")" "$(med "$1" 5)" "$(med "$1" 6)" "$(med "$1" 10)"
}

{
  echo "### Run of $(date -u '+%Y-%m-%d %H:%M') UTC"
  echo
  echo "Command: \`${API_PROJECT_NOTE}ROUNDS=$ROUNDS DURATION=$DURATION WARMUP=$WARMUP CONNECTIONS=$CONNECTIONS TOKENS=$TOKENS MEMORY_TOKENS=$MEMORY_TOKENS$COMMAND_EXTRA bench/run.sh\`"
  echo
  echo "Built from: $CURRENT_DESC${BEFORE:+; before build: $BEFORE ($(git -C "$ROOT" log -1 --format=%s "$BEFORE_COMMIT"))}."
  echo
  echo "Machine: $(nproc) cores, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo);" \
    "load average $LOAD_START at start, $LOAD_END at end (the machine is shared)." \
    ".NET runtime $(dotnet --list-runtimes | awk '/Microsoft.NETCore.App/ { v = $2 } END { print v }'), $({ wrk -v 2>&1 || true; } | head -n 1 | awk '{ print $1, $2 }'):" \
    "\`wrk -t1 -c$CONNECTIONS --latency\`; each server warmed up for $STARTUP_WARMUP per path after start, then $WARMUP warm-up before each $DURATION run, $ROUNDS rounds; medians over rounds." \
    "CPU µs/req is the server's own user+system CPU time during the run divided by its requests."
  echo
  echo "| case | server | route | token | req/s | p50 ms | p99 ms | CPU µs/req |"
  echo "|---|---|---|---|---:|---:|---:|---:|"
  row a API /api/public none
  row b API /api/private-scoped "one, reused"
  row c API /api/private-scoped "$(comma "$TOKENS") distinct in turn"
  row d-a baseline /api/public none
  row d-b baseline /api/private-scoped "one, reused"
  row d-c baseline /api/private-scoped "$(comma "$TOKENS") distinct in turn"
  echo
  echo "Peak RSS (VmHWM) over all rounds: API $(mb "$API_HWM") MB${BEFORE:+, before build $(mb "${OLD_HWM:-0}") MB}, baseline $(mb "$BASE_HWM") MB."
  if ((INVALID > 0)); then
    echo
    echo "**$INVALID measured runs had non-2xx answers or socket errors: see raw/runs.tsv; the numbers above are not valid.**"
  fi
  echo
  echo "| target (median of per-round ratios) | measured | target | verdict |"
  echo "|---|---:|---:|---|"
  echo "| (b) / (a) | $RATIO_BA | ≥ 0.90 | $(verdict "$RATIO_BA" '>=' 0.9) |"
  echo "| (c) / (d-c) | $RATIO_CDC | ≥ 1.00 | $(verdict "$RATIO_CDC" '>=' 1.0) |"
  echo "| (b) / (d-b) | $RATIO_BDB | (for information) | |"
  echo "| p99 of (b) | $P99_B ms | ≤ 5 ms | $(verdict "$P99_B" '<=' 5) |"
  if [[ -n $BEFORE ]]; then
    echo
    echo "Before and after in this run: the before build ($BEFORE) and this one, each case measured right next to the other in every round (after ÷ before: median of the per-round quotients):"
    echo
    echo "| case | route | token | req/s before | req/s after | after ÷ before | p99 ms before | p99 ms after | CPU µs/req before | CPU µs/req after |"
    echo "|---|---|---|---:|---:|---:|---:|---:|---:|---:|"
    before_row() { # CASE ROUTE TOKEN
      printf '| %s | `%s` | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$1" "$2" "$3" \
        "$(comma "$(med "$1@before" 4)")" "$(comma "$(med "$1" 4)")" "$(ratio "$1" "$1@before")" \
        "$(med "$1@before" 6)" "$(med "$1" 6)" "$(med "$1@before" 10)" "$(med "$1" 10)"
    }
    before_row a /api/public none
    before_row b /api/private-scoped "one, reused"
    before_row c /api/private-scoped "$(comma "$TOKENS") distinct in turn"
    [[ $FLOOD != 1 ]] || before_row f /api/private "forged (flood, logging at Information)"
    echo
    echo "The targets' ratios for the before build in the same run: (b) / (a) $(ratio b@before a@before)," \
      "(c) / (d-c) $(ratio c@before d-c), p99 of (b) $(med b@before 6) ms; its check cost" \
      "$(diff_us "$(med b@before 10)" "$(med a@before 10)") µs of CPU with one token and" \
      "$(diff_us "$(med c@before 10)" "$(med a@before 10)") µs with distinct tokens over its anonymous request."
  fi
  if [[ $LIMITS == 1 ]]; then
    RATIO_MEM=$(ratio b-mem b)
    RATIO_REDIS=$(ratio b-redis b)
    P99_REDIS=$(med b-redis 6)
    echo
    echo "Rate limits configured, never reached: (b) on two more servers of the same build, each with" \
      "\`RateLimits:Default\` 2,000,000,000 requests an hour per client (and \`Anonymous\` 3 an hour, which" \
      "each refused with 429 at the preflight); one counts in memory, the other in a redis-server of" \
      "its own on loopback (\`ConnectionStrings:Redis\`). Every request below was answered 200."
    echo
    echo "| case | server | req/s | p50 ms | p99 ms | CPU µs/req | ÷ (b) | CPU µs/req over (b) |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|"
    limit_row() { # CASE SERVER
      printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$1" "$2" "$(comma "$(med "$1" 4)")" "$(med "$1" 5)" \
        "$(med "$1" 6)" "$(med "$1" 10)" "$(ratio "$1" b)" "$(diff_us "$(med "$1" 10)" "$CPU_B")"
    }
    limit_row b "API, no limits"
    limit_row b-mem "API, limits in memory"
    limit_row b-redis "API, limits in Redis"
    echo
    echo "| target (median of per-round ratios) | measured | target | verdict |"
    echo "|---|---:|---:|---|"
    echo "| (b-mem) / (b) | $RATIO_MEM | ≥ 0.95 | $(verdict "$RATIO_MEM" '>=' 0.95) |"
    echo "| (b-redis) / (b) | $RATIO_REDIS | (for information) | |"
    echo "| p99 of (b-redis) | $P99_REDIS ms | ≤ 5 ms | $(verdict "$P99_REDIS" '<=' 5) |"
  fi
  if [[ $DPOP == 1 ]]; then
    ES256_US=$(median <"$ES256")
    CHECK_US=$(median <"$CHECK")
    OVER_CHECK=$(diff_us "$CHECK_US" "$ES256_US")
    CPU_EMEM=$(med e-mem 10)
    CPU_EREDIS=$(med e-redis 10)
    OVER_EMEM=$(diff_us "$CPU_EMEM" "$CPU_B")
    OVER_EREDIS=$(diff_us "$CPU_EREDIS" "$CPU_B")
    LIMIT_EMEM=$(awk -v v="$ES256_US" 'BEGIN { printf "%.1f", v + 10 }')
    # The control: one verification as the server pays for it, (b-v) over (b).
    VERIFY_IN_SERVER=$(diff_us "$(med b-v 10)" "$CPU_B")
    LIMIT_EMEM_SERVER=$(awk -v v="$VERIFY_IN_SERVER" 'BEGIN { printf "%.1f", v + 10 }')
    if [[ $LIMITS == 1 ]]; then
      REDIS_TRIP=$(diff_us "$(med b-redis 10)" "$CPU_B")
      LIMIT_EREDIS=$(awk -v v="$ES256_US" -v r="$REDIS_TRIP" 'BEGIN { printf "%.1f", v + r + 10 }')
      LIMIT_EREDIS_SERVER=$(awk -v v="$VERIFY_IN_SERVER" -v r="$REDIS_TRIP" 'BEGIN { printf "%.1f", v + r + 10 }')
    else
      REDIS_TRIP=n/a LIMIT_EREDIS=n/a LIMIT_EREDIS_SERVER=n/a
    fi
    echo
    echo "DPoP (RFC 9449): \`/api/private-scoped\` with one DPoP-bound token (\`cnf.jkt\`) and a fresh ES256" \
      "proof per request, made for each run just before it (\`bench/ProofSender make\`), on two more servers" \
      "of the same build: one records proofs in memory (\`Auth0:DPoP:ReplayCacheSize\` 5,000,000 for this load), the" \
      "other in the redis-server. The token is remembered after its first request, as in (b); the proof" \
      "cannot be: each costs one signature verification and one replay-cache entry. One ES256" \
      "verification measured by \`ProofSender check\` in every round, on one thread: median $ES256_US µs" \
      "(rounds: $(paste -sd, "$ES256" | sed 's/,/, /g')); in the same batches, the API's whole proof check" \
      "(its \`DPoPProofValidator\`, replays in memory, no HTTP) on the same proofs: median $CHECK_US µs" \
      "(rounds: $(paste -sd, "$CHECK" | sed 's/,/, /g')). One Redis round trip: what (b-redis) costs over (b), $REDIS_TRIP µs." \
      "The control, (b-v): (b) on one more server, the API built with one endpoint more (bench/ApiControl)," \
      "\`/api/private-scoped\` plus one ES256 verification in its handler and nothing else: what one verification" \
      "costs the API inside a request under load, where the micro-benchmark runs it in a tight loop with warm caches." \
      "A DPoP request differs from (b-v) by the proof check's own work (and its header) only."
    echo
    echo "| case | server | req/s | p50 ms | p99 ms | CPU µs/req | CPU µs/req over (b) |"
    echo "|---|---|---:|---:|---:|---:|---:|"
    dpop_row() { # CASE SERVER
      printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$1" "$2" "$(comma "$(med "$1" 4)")" "$(med "$1" 5)" \
        "$(med "$1" 6)" "$(med "$1" 10)" "$(diff_us "$(med "$1" 10)" "$CPU_B")"
    }
    dpop_row b "API, Bearer (for reference)"
    dpop_row b-v "API + one ES256 verification, Bearer (the control)"
    dpop_row e-mem "API, DPoP, replays in memory"
    dpop_row e-redis "API, DPoP, replays in Redis"
    echo
    echo "| target | measured | target | verdict |"
    echo "|---|---:|---:|---|"
    echo "| (e-mem) CPU over (b) ≤ one ES256 verification + 10 µs | $OVER_EMEM µs | ≤ $LIMIT_EMEM µs | $(verdict "$OVER_EMEM" '<=' "$LIMIT_EMEM") |"
    echo "| (e-redis) CPU over (b) ≤ that + one Redis round trip | $OVER_EREDIS µs | ≤ $LIMIT_EREDIS µs | $(verdict "$OVER_EREDIS" '<=' "$LIMIT_EREDIS") |"
    echo "| the control: one ES256 verification inside the API's request, (b-v) CPU over (b) | $VERIFY_IN_SERVER µs | (for information) | |"
    echo "| (e-mem) CPU over (b) ≤ the control + 10 µs | $OVER_EMEM µs | ≤ $LIMIT_EMEM_SERVER µs | $(verdict "$OVER_EMEM" '<=' "$LIMIT_EMEM_SERVER") |"
    echo "| (e-redis) CPU over (b) ≤ the control + one Redis round trip + 10 µs | $OVER_EREDIS µs | ≤ $LIMIT_EREDIS_SERVER µs | $(verdict "$OVER_EREDIS" '<=' "$LIMIT_EREDIS_SERVER") |"
    echo "| the proof check alone, in-process, over its one verification | $OVER_CHECK µs | (for information) | |"
    echo "| p99 of (e-mem) | $(med e-mem 6) ms | ≤ 5 ms | $(verdict "$(med e-mem 6)" '<=' 5) |"
    echo "| p99 of (e-redis) | $(med e-redis 6) ms | ≤ 5 ms | $(verdict "$(med e-redis 6)" '<=' 5) |"
    if [[ -n $DPOP_MEMORY_ROW ]]; then
      echo
      echo "Proof memory run: a fresh server whose in-memory replay cache holds $(comma "$DPOP_MEMORY_PROOFS") proofs and one more," \
        "then $(comma "$DPOP_MEMORY_PROOFS") requests each with a proof of its own (all answered 200), in two halves, then one more" \
        "proof, which a cache full of live proofs must refuse with 503:"
      echo
      echo "| RSS before MB | after $(comma $((DPOP_MEMORY_PROOFS / 2))) MB | after $(comma "$DPOP_MEMORY_PROOFS") MB | peak (VmHWM) MB | bytes per proof | req/s (1st / 2nd half) | one more proof |"
      echo "|---:|---:|---:|---:|---:|---:|---|"
      echo "$DPOP_MEMORY_ROW"
    fi
  fi
  if [[ $FLOOD == 1 ]]; then
    echo
    echo "Forged-token flood: every request carries the same token with one signature character" \
      "altered, so each is refused with 401 for one reason after a full signature check; the server" \
      "logs at Information (Default Information, Microsoft.AspNetCore Warning, as appsettings.json)" \
      "through the console logger into a file. Log written: what the server's output grew by during" \
      "the run."
    echo
    echo "| case | server | route | req/s | p99 ms | CPU µs/req | log written KB/s | log bytes per request |"
    echo "|---|---|---|---:|---:|---:|---:|---:|"
    flood_row() { # CASE SERVER ROUTE
      printf '| %s | %s | `%s` | %s | %s | %s | %s | %s |\n' "$1" "$2" "$3" "$(comma "$(med "$1" 4)")" \
        "$(med "$1" 6)" "$(med "$1" 10)" "$(comma "$(kb "$(med "$1" 11)")")" "$(per_round "$1" 11 4 %.1f)"
    }
    flood_row f API /api/private
    [[ -z $BEFORE ]] || flood_row f@before "before ($BEFORE)" /api/private
    flood_row d-f baseline /api/private-scoped
  fi
  echo
  echo "Server CPU per request spent on the token and permission check (authenticated case minus" \
    "the anonymous one on the same server): API $(diff_us "$CPU_B" "$CPU_A") µs with one token," \
    "$(diff_us "$CPU_C" "$CPU_A") µs with distinct tokens; baseline $(diff_us "$CPU_DB" "$CPU_DA") µs and" \
    "$(diff_us "$CPU_DC" "$CPU_DA") µs."
  if ((${#MEMORY_ROWS[@]} > 0)); then
    echo
    echo "Memory run: a fresh server, warmed up as above, then $(comma "$MEMORY_TOKENS") distinct valid tokens it has never seen, each sent once (all answered 200), in two halves:"
    echo
    echo "| server | RSS after warm-up MB | after $(comma $((MEMORY_TOKENS / 2))) MB | after $(comma "$MEMORY_TOKENS") MB | peak (VmHWM) MB | req/s (1st / 2nd half) |"
    echo "|---|---:|---:|---:|---:|---:|"
    printf '%s\n' "${MEMORY_ROWS[@]}"
  fi
  if ((${#PROFILES[@]} > 0)); then
    echo
    echo "Where the CPU goes (PROFILE=1: one extra run per case under \`perf record -F 999 -g\`, samples" \
      "put in the innermost matching stage by scripts/perf_breakdown.py, scaled to that run's CPU per request):"
    echo
    python3 "$BENCH/scripts/perf_breakdown.py" "${PROFILES[@]}"
    echo
    echo "What the API adds to an anonymous request over the stock app: the same (a) and (d-a)" \
      "samples, each put in the innermost pipeline stage (middleware, endpoint) on its stack" \
      "(\`perf_breakdown.py --by middleware\`):"
    echo
    python3 "$BENCH/scripts/perf_breakdown.py" --by middleware --difference "${ANONYMOUS_PROFILES[@]}"
  fi
  if ((${#FLOOD_PROFILES[@]} > 0)); then
    echo
    echo "Where the CPU goes in the forged-token flood (PROFILE=1, logging at Information):"
    echo
    python3 "$BENCH/scripts/perf_breakdown.py" "${FLOOD_PROFILES[@]}"
  fi
  echo
  echo "<details><summary>Every measured run</summary>"
  echo
  echo "| round | case | server | req/s | p50 ms | p99 ms | requests | non-2xx | socket errors | CPU µs/req | log bytes/s |"
  echo "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
  awk -F'\t' 'NR > 1 { printf "| %s |\n", $1 " | " $2 " | " $3 " | " $4 " | " $5 " | " $6 " | " $7 " | " $8 " | " $9 " | " $10 " | " ($12 == "4xx" ? $11 : "") }' "$RUNS"
  echo
  echo "</details>"
} >"$OUT/latest.md"

log "done: $OUT/latest.md"
cat "$OUT/latest.md"
