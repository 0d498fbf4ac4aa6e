# Shared by the example launch scripts: start Stoker processes on loopback and stop them all on exit.
# Source it; set STOKER_WORK to a scratch directory first. STOKER_JAR=PATH runs that launcher jar instead of
# ./stoker (which builds the launcher when the sources changed); STOKER_JAVA_OPTS are JVM flags for either.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
if [ -n "${STOKER_JAR:-}" ]; then
  STOKER=(java ${STOKER_JAVA_OPTS:-} -Djava.library.path="$ROOT/disni-native/target/native" -jar "$STOKER_JAR")
else
  STOKER=("$ROOT/stoker")
fi
PIDS=()
EXIT_HOOKS=()

stop_all() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  for hook in "${EXIT_HOOKS[@]}"; do "$hook"; done
}
trap stop_all EXIT

# at_exit FUNCTION: run FUNCTION on exit, after every started process has stopped
at_exit() {
  EXIT_HOOKS+=("$1")
}

# free_port: a free UDP port on loopback
free_port() {
  python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start NAME ARGS...: run `stoker ARGS` in the background, output in $STOKER_WORK/NAME.log
start() {
  local name=$1; shift
  "${STOKER[@]}" "$@" > "$STOKER_WORK/$name.log" 2>&1 &
  PIDS+=($!)
}

# start_in NETNS NAME ARGS...: start NAME as `start` does, inside the network namespace NETNS
start_in() {
  local netns=$1 name=$2; shift 2
  ip netns exec "$netns" "${STOKER[@]}" "$@" > "$STOKER_WORK/$name.log" 2>&1 &
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
