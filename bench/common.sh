# shellcheck shell=bash
# Shell helpers shared by bench/run and bench/scale (sourced, not run).
#
# Servers are started in the background with their stderr in a log file; every helper
# stops only the processes it started, by pid.

BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$BENCH_ROOT/build-bench}
BENCH_BIN=$BUILD_DIR/bench/grayling-bench
# shellcheck disable=SC2034  # used by the scripts that source this
LOADER_BIN=$BUILD_DIR/bench/grayling-bulk-load
# shellcheck disable=SC2034
GRAYLING_BIN=$BUILD_DIR/grayling

say() { printf '%s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# Release build of the given targets, by default the daemon and the two bench programs
# (skipped with BENCH_NO_BUILD=1).
bench_build() {
  [[ ${BENCH_NO_BUILD:-0} == 1 ]] && return 0
  local targets=("$@")
  ((${#targets[@]})) || targets=(grayling grayling-bench grayling-bulk-load)
  say "building Release into $BUILD_DIR"
  mkdir -p "$BUILD_DIR"
  cmake -S "$BENCH_ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DGRAYLING_BUILD_TESTS=OFF \
    -DGRAYLING_BUILD_BENCH=ON >"$BUILD_DIR/bench-cmake.log" 2>&1 || { cat "$BUILD_DIR/bench-cmake.log" >&2; die "cmake failed"; }
  ninja -C "$BUILD_DIR" -j"$(nproc)" "${targets[@]}" >"$BUILD_DIR/bench-ninja.log" 2>&1 ||
    { tail -40 "$BUILD_DIR/bench-ninja.log" >&2; die "build failed"; }
}

# A TCP port on 127.0.0.1 that nothing listens on, below the ephemeral range (so no
# client socket of ours can be holding it).
free_port() {
  local port low
  read -r low _ </proc/sys/net/ipv4/ip_local_port_range
  for _ in $(seq 50); do
    port=$((10000 + RANDOM % (low - 10000)))
    "$BENCH_BIN" --wait-connect="127.0.0.1:$port" --timeout=0 >/dev/null 2>&1 || { echo "$port"; return 0; }
  done
  die "no free port found"
}

# Blocks until 127.0.0.1:PORT accepts; prints the wall-clock microsecond it first did.
# Fails if process PID (the server just started) is gone by then.
wait_accepting() {
  local port=$1 pid=$2 out
  out=$("$BENCH_BIN" --wait-connect="127.0.0.1:$port" --timeout="${3:-60}") || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  sed -n 's/^connected_epoch_us=//p' <<<"$out"
}

# Stops PID (one we started): TERM, repeated (postgrey may miss the first while busy),
# KILL after 10 s. Waits for it so no zombie is left.
stop_pid() {
  local pid=$1
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
  kill -TERM "$pid" 2>/dev/null
  for i in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || break
    ((i % 10 == 0)) && kill -TERM "$pid" 2>/dev/null
    sleep 0.1
  done
  kill -0 "$pid" 2>/dev/null && { say "pid $pid ignored SIGTERM for 10 s: killing it"; kill -KILL "$pid"; }
  wait "$pid" 2>/dev/null || true
}

# Writes the whitelist files every server under test gets: the shipped lists (realistic
# matching cost per request) plus the domain of the "whitelisted" workload.
write_whitelists() {
  local dir=$1
  cat "$BENCH_ROOT/etc/whitelist_clients" >"$dir/whitelist_clients"
  "$BENCH_BIN" --print-whitelist >>"$dir/whitelist_clients"
  cat "$BENCH_ROOT/etc/whitelist_recipients" >"$dir/whitelist_recipients"
  chmod 0644 "$dir/whitelist_clients" "$dir/whitelist_recipients"
}

# grayling's arguments for a benchmark: the given DB dir and whitelists, --delay=1, the
# auto-whitelist off so known triplets stay triplets; default logging (to the log file).
grayling_args() {
  local port=$1 dbdir=$2 lists=$3
  echo "--inet=127.0.0.1:$port --dbdir=$dbdir --delay=1 --auto-whitelist-clients=0" \
    "--whitelist-clients=$lists/whitelist_clients --whitelist-recipients=$lists/whitelist_recipients" \
    "${GRAYLING_ARGS:-}"
}

# VmRSS and VmHWM of PID in kB, as "RSS HWM".
rss_of() {
  awk '/^VmRSS:/ {r=$2} /^VmHWM:/ {h=$2} END {print r, h}' "/proc/$1/status"
}

# The value of "name" in a one-line JSON object (numbers and simple strings only).
json_field() {
  sed -n "s/.*\"$2\":\"\{0,1\}\([^,\"}]*\).*/\1/p" <<<"$1"
}

# Machine context for the report: cores, kernel, temp file system, and how busy the CPUs
# were during the last second — other work on the machine shows up directly in results.
machine_note() {
  local busy
  busy=$(cpu_busy_percent)
  say "machine: $(nproc) cores, $(uname -r), temp fs $(stat -f -c %T "${TMPDIR:-/tmp}"), CPU busy ${busy}% over 1 s"
  if ((busy > 10)); then
    say "warning: other processes use the CPU (${busy}% of all cores); numbers will be noisy. Busiest:"
    top -b -n 2 -d 0.5 -w 120 | awk '/^ *PID/ {n++; next} n == 2 && $9 + 0 > 5 {print "  " $9 "% " $12}' | head -3 >&2
  fi
}

# Percentage of all CPU time that was not idle during one second.
cpu_busy_percent() {
  local a b
  read -ra a < <(grep '^cpu ' /proc/stat)
  sleep 1
  read -ra b < <(grep '^cpu ' /proc/stat)
  local total=0 idle i
  for i in 1 2 3 4 5 6 7 8; do total=$((total + b[i] - a[i])); done
  idle=$((b[4] - a[4] + b[5] - a[5]))
  echo $(((total - idle) * 100 / (total > 0 ? total : 1)))
}
