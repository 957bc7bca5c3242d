#!/usr/bin/env bash
# Load benchmark of the API's token check (README, "Performance"; results in bench/RESULTS.md). The one command, from anywhere:
#
#   bench/run.sh                          # 3 rounds of 10 s per case, then the memory run
#   ROUNDS=5 DURATION=20s bench/run.sh    # longer
#   ROUNDS=1 DURATION=3s MEMORY_TOKENS=0 bench/run.sh   # quick look while iterating
#
# What it does, on 127.0.0.1 only, every step bounded in time:
#   1. builds in Release, into bench/results/build/: the API, the stock comparator
#      (bench/baseline), the loopback issuer (bench/Issuer) and the memory-run client
#      (bench/TokenSender);
#   2. starts the issuer (discovery + JWKS over http), which writes TOKENS + MEMORY_TOKENS
#      distinct valid tokens with permissions ["read:messages"] (the memory run's are unused before);
#   3. starts the API (Production, logging at Warning) and the baseline against that issuer,
#      checks each answers 200/401 as it should, and warms each up (STARTUP_WARMUP per path:
#      right after start .NET still runs unoptimized tier-0 code, which once cost 3x the CPU);
#   4. per round, each case a warm-up (WARMUP) then a measured run of wrk -t1 -cCONNECTIONS
#      --latency (DURATION), in this order so that compared pairs share the machine's noise:
#        a    API       /api/public, no token
#        b    API       /api/private-scoped, one token reused
#        d-b  baseline  /api/private-scoped, one token reused
#        c    API       /api/private-scoped, TOKENS distinct tokens in turn (scripts/tokens.lua)
#        d-c  baseline  the same
#        d-a  baseline  /api/public, no token (to split framework cost from auth cost)
#      Each run records req/s, p50/p99 latency and the server's CPU time per request
#      (/proc/<pid>/stat), and is marked invalid if any answer was not 2xx;
#   5. memory run (MEMORY_TOKENS > 0): a fresh API, and then a fresh baseline, receive
#      MEMORY_TOKENS distinct tokens, each exactly once, in two halves; RSS after each half and
#      the peak (VmHWM) show whether anything grows with the number of distinct tokens;
#   6. writes bench/results/latest.md (medians, ratios against the targets, verdict; raw runs in
#      bench/results/raw/) to paste into bench/RESULTS.md, and prints it.
#
# Settings (environment): ROUNDS=3 DURATION=10s WARMUP=3s STARTUP_WARMUP=5s CONNECTIONS=32 TOKENS=2000
#   MEMORY_TOKENS=100000 (0 skips the memory run), SKIP_BUILD=1 (reuse bench/results/build),
#   SERVER_ENV="K=V ..." (extra environment for both servers, e.g. DOTNET_gcServer=0),
#   API_PROJECT=path/to/Api.csproj (measure another copy of the API, e.g. a candidate change,
#   against the same baseline),
#   PROFILE=1 (after the rounds, one more run of each case under `perf record -g`, broken down by
#   scripts/perf_breakdown.py into CPU µs per request per stage, and under dotnet-counters for the
#   bytes allocated per request; installs Debian's linux-perf and the dotnet-counters tool (into
#   bench/results/tools) if missing, and starts both servers with DOTNET_PerfMapEnabled=1
#   DOTNET_EnableWriteXorExecute=0 so perf can name JIT-compiled code).
# Needs dotnet (global.json's SDK), curl, and wrk (installed with apt-get when missing).
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
PROFILE=${PROFILE:-0}
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
fi

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
API_PROJECT_NOTE=
[[ $API_PROJECT -ef $ROOT/Api.csproj ]] || API_PROJECT_NOTE="API_PROJECT=$API_PROJECT "

# --- issuer and tokens --------------------------------------------------------------------------

TOKEN_COUNT=$((TOKENS + MEMORY_TOKENS))
rm -f "$RAW/issuer.ready" "$TOKEN_FILE"
log "starting the issuer; it signs $TOKEN_COUNT tokens"
start issuer "$BUILD/issuer" dotnet Issuer.dll --audience "$AUDIENCE" --tokens "$TOKEN_FILE" \
  --count "$TOKEN_COUNT" --ready "$RAW/issuer.ready"
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

# start_server NAME DLL READY-PATH: sets SERVER_PID and SERVER_URL once READY-PATH answers 200.
START_COUNT=0
start_server() {
  local name=$1 dll=$2 ready=$3 log
  START_COUNT=$((START_COUNT + 1))
  log=$RAW/$name-$START_COUNT.log
  # shellcheck disable=SC2046 # server_env prints K=V words
  start "$name-$START_COUNT" "$BUILD/$name" env $(server_env) dotnet "$dll"
  SERVER_PID=$STARTED
  # "Application started" comes after "Now listening on", so that line is complete by then.
  wait_for "$SERVER_PID" 90 grep -q 'Application started' "$log" || { cat "$log" >&2; die "$name did not start"; }
  SERVER_URL=$(listening_on "$log")
  [[ -n $SERVER_URL ]] || { cat "$log" >&2; die "$name did not say where it listens"; }
  wait_for "$SERVER_PID" 90 curl -sf "$SERVER_URL$ready" || { cat "$log" >&2; die "$name did not get ready"; }
}

start_api() { # sets API_PID, API_URL
  start_server api Api.dll /health/ready
  API_PID=$SERVER_PID
  API_URL=$SERVER_URL
  preflight "$API_URL" API
  startup_warmup "$API_URL" API
}

start_baseline() { # sets BASE_PID, BASE_URL
  start_server baseline Baseline.dll /api/public
  BASE_PID=$SERVER_PID
  BASE_URL=$SERVER_URL
  preflight "$BASE_URL" baseline
  startup_warmup "$BASE_URL" baseline
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

# --- measurement --------------------------------------------------------------------------------


case_args() { # CASE URL: sets CASE_ARGS, wrk's arguments for the case
  case $1 in
    a | d-a) CASE_ARGS=("$2/api/public") ;;
    b | d-b) CASE_ARGS=(-H "Authorization: Bearer $TOKEN" "$2/api/private-scoped") ;;
    c | d-c) CASE_ARGS=(-s "$BENCH/scripts/tokens.lua" "$2/api/private-scoped" -- "$TOKEN_FILE" "$TOKENS") ;;
    *) die "unknown case $1" ;;
  esac
}

warm_up() { # CASE URL
  case_args "$1" "$2"
  timeout "$WARMUP_TIMEOUT" wrk -t1 -c"$CONNECTIONS" -d"$WARMUP" "${CASE_ARGS[@]}" >"$RAW/warmup.txt" 2>&1 \
    || die "warm-up of ($1) failed: see $RAW/warmup.txt"
}

# run_wrk CASE PID URL OUTPUT: the measured run; sets TICKS to the server's CPU ticks during it.
run_wrk() {
  local before after
  case_args "$1" "$3"
  before=$(cpu_ticks "$2")
  timeout "$WRK_TIMEOUT" wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency "${CASE_ARGS[@]}" >"$4" 2>&1 \
    || die "run ($1) failed: see $4"
  after=$(cpu_ticks "$2")
  TICKS=$((after - before))
}

# measure ROUND CASE SERVER PID URL: warm-up, then the measured run; appends one line to runs.tsv.
measure() {
  local round=$1 case=$2 server=$3 pid=$4 url=$5 raw
  raw=$RAW/round$round-$case.txt
  warm_up "$case" "$url"
  run_wrk "$case" "$pid" "$url" "$raw"
  kill -0 "$pid" 2>/dev/null || die "the $server server (pid $pid) died during ($case): see its log in $RAW"
  awk -v round="$round" -v case="$case" -v server="$server" -v ticks="$TICKS" -v hz="$CLK_TCK" '
    function ms(v) {
      if (v ~ /us$/) return substr(v, 1, length(v) - 2) / 1000
      if (v ~ /ms$/) return substr(v, 1, length(v) - 2) + 0
      if (v ~ /s$/) return substr(v, 1, length(v) - 1) * 1000
      return v + 0
    }
    $1 == "50%" { p50 = ms($2) }
    $1 == "99%" { p99 = ms($2) }
    $1 == "Requests/sec:" { rps = $2 }
    $2 == "requests" && $3 == "in" { requests = $1 }
    /Non-2xx or 3xx responses:/ { bad = $NF }
    /Socket errors:/ { gsub(/,/, ""); errors = $4 + $6 + $8 + $10 }
    END {
      cpu = requests > 0 ? ticks * 1000000 / hz / requests : 0
      printf "%s\t%s\t%s\t%.0f\t%.2f\t%.2f\t%d\t%d\t%d\t%.1f\n", round, case, server, rps, p50, p99, requests, bad, errors, cpu
    }' "$raw" >>"$RUNS"
  log "round $round ($case): $(tail -n 1 "$RUNS" | awk -F'\t' '{ printf "%s req/s, p50 %s ms, p99 %s ms, %s µs CPU/req, non-2xx %s", $4, $5, $6, $10, $8 }')"
}

start_api
start_baseline

printf 'round\tcase\tserver\trps\tp50_ms\tp99_ms\trequests\tnon2xx\tsocket_errors\tcpu_us_per_req\n' >"$RUNS"
for round in $(seq "$ROUNDS"); do
  measure "$round" a API "$API_PID" "$API_URL"
  measure "$round" b API "$API_PID" "$API_URL"
  measure "$round" d-b baseline "$BASE_PID" "$BASE_URL"
  measure "$round" c API "$API_PID" "$API_URL"
  measure "$round" d-c baseline "$BASE_PID" "$BASE_URL"
  measure "$round" d-a baseline "$BASE_PID" "$BASE_URL"
done
API_HWM=$(status_kb "$API_PID" VmHWM)
BASE_HWM=$(status_kb "$BASE_PID" VmHWM)

# --- profile (PROFILE=1) ------------------------------------------------------------------------

# profile CASE LABEL PID URL: one more run of the case under perf and dotnet-counters (not part
# of the medians); appends "LABEL=samples-file:CPU-µs-per-request:bytes-allocated-per-request" to
# PROFILES for scripts/perf_breakdown.py.
PROFILES=()
profile() {
  local case=$1 label=$2 pid=$3 url=$4 seconds perf_pid counters_pid requests cpu bytes
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
  run_wrk "$case" "$pid" "$url" "$RAW/perf-$case.wrk.txt"
  wait "$perf_pid" || die "perf record failed: see $RAW/perf-$case.log"
  wait "$counters_pid" || die "dotnet-counters failed: see $RAW/counters-$case.log"
  perf script -i "$RAW/perf-$case.data" -F ip,sym,dso >"$RAW/perf-$case.txt" 2>/dev/null
  requests=$(awk '$2 == "requests" && $3 == "in" { print $1 }' "$RAW/perf-$case.wrk.txt")
  cpu=$(awk -v t="$TICKS" -v hz="$CLK_TCK" -v n="$requests" 'BEGIN { printf "%.1f", t * 1000000 / hz / n }')
  # A sample of exactly 0 means the counter stalled (an idle server still allocates ~30 KB/s for
  # the session itself): no number rather than a wrong one.
  bytes=$(awk -F, -v n="$requests" '/dotnet.gc.heap.total_allocated/ { s += $5; if ($5 == 0) stalled = 1 }
    END { if (stalled || s == 0) print ""; else printf "%.0f", s / n }' "$RAW/counters-$case.csv")
  PROFILES+=("$label=$RAW/perf-$case.txt:$cpu:$bytes")
  log "profiled ($case): $cpu µs CPU and ${bytes:-n/a} bytes allocated per request"
}
if [[ $PROFILE == 1 ]]; then
  profile a "API (a)" "$API_PID" "$API_URL"
  profile b "API (b)" "$API_PID" "$API_URL"
  profile c "API (c)" "$API_PID" "$API_URL"
  profile d-a "baseline (d-a)" "$BASE_PID" "$BASE_URL"
  profile d-b "baseline (d-b)" "$BASE_PID" "$BASE_URL"
  profile d-c "baseline (d-c)" "$BASE_PID" "$BASE_URL"
fi

stop_process "$API_PID"
stop_process "$BASE_PID"

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
    if (v == "n/a") { print "n/a"; exit }
    ok = (op == ">=") ? v >= t : v <= t
    if (ok) print "**met**"
    else if (op == ">=") printf "**missed** (%.0f%% of target)\n", 100 * v / t
    else printf "**missed** (%.1fx the limit)\n", v / t
  }'
}

INVALID=$(awk -F'\t' 'NR > 1 && ($8 > 0 || $9 > 0) { n++ } END { print n + 0 }' "$RUNS")
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
comma() { awk -v n="$1" 'BEGIN { s = sprintf("%d", n); while (s ~ /[0-9][0-9][0-9][0-9]/) sub(/[0-9][0-9][0-9]($|,)/, ",&", s); print s }'; }

row() { # CASE SERVER ROUTE TOKEN
  printf '| %s | %s | `%s` | %s | %s | %s | %s | %s |\n' "$1" "$2" "$3" "$4" \
    "$(comma "$(med "$1" 4)")" "$(med "$1" 5)" "$(med "$1" 6)" "$(med "$1" 10)"
}

{
  echo "### Run of $(date -u '+%Y-%m-%d %H:%M') UTC"
  echo
  echo "Command: \`${API_PROJECT_NOTE}ROUNDS=$ROUNDS DURATION=$DURATION WARMUP=$WARMUP CONNECTIONS=$CONNECTIONS TOKENS=$TOKENS MEMORY_TOKENS=$MEMORY_TOKENS${SERVER_ENV:+ SERVER_ENV=\"$SERVER_ENV\"} bench/run.sh\`"
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
  echo "Peak RSS (VmHWM) over all rounds: API $(mb "$API_HWM") MB, baseline $(mb "$BASE_HWM") MB."
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
  fi
  echo
  echo "<details><summary>Every measured run</summary>"
  echo
  echo "| round | case | server | req/s | p50 ms | p99 ms | requests | non-2xx | socket errors | CPU µs/req |"
  echo "|---|---|---|---:|---:|---:|---:|---:|---:|---:|"
  awk -F'\t' 'NR > 1 { printf "| %s |\n", $1 " | " $2 " | " $3 " | " $4 " | " $5 " | " $6 " | " $7 " | " $8 " | " $9 " | " $10 }' "$RUNS"
  echo
  echo "</details>"
} >"$OUT/latest.md"

log "done: $OUT/latest.md"
cat "$OUT/latest.md"
