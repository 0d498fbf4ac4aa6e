#!/usr/bin/env bash
# The Python package's tests against launcher/target/stoker.jar, with the system's Python (Debian's python3-torch,
# python3-numpy, python3-pytest). Where those are missing it says which, in one line, and skips: it never passes
# without running.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON=${STOKER_PYTHON:-/usr/bin/python3}
if [ ! -x "$PYTHON" ]; then
  echo "python tests SKIPPED: $PYTHON is missing (apt-get install python3 python3-numpy python3-torch python3-pytest)"
  exit 0
fi
missing=$("$PYTHON" -c '
import importlib.util
print(" ".join(m for m in ("numpy", "torch", "pytest") if importlib.util.find_spec(m) is None))')
if [ -n "$missing" ]; then
  echo "python tests SKIPPED: $PYTHON lacks $missing (apt-get install python3-numpy python3-torch python3-pytest)"
  exit 0
fi
exec "$PYTHON" -m pytest -q -p no:cacheprovider python/tests
