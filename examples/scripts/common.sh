# Shared by the example launch scripts: start Stoker processes on loopback and stop them all on exit.
# Source it; set STOKER_WORK to a scratch directory first.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STOKER="$ROOT/stoker"
PIDS=()

stop_all() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop_all EXIT

# free_port: a free UDP port on loopback
free_port() {
  python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start NAME ARGS...: run `stoker ARGS` in the background, output in $STOKER_WORK/NAME.log
start() {
  local name=$1; shift
  "$STOKER" "$@" > "$STOKER_WORK/$name.log" 2>&1 &
  PIDS+=($!)
}

# await_log NAME TEXT: wait (up to 60 s) until NAME's log contains TEXT
await_log() {
  for _ in $(seq 600); do
    grep -q "$2" "$STOKER_WORK/$1.log" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "$1 did not log '$2':" >&2; cat "$STOKER_WORK/$1.log" >&2; return 1
}
