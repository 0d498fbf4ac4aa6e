#!/usr/bin/env bash
# The long variant of CoordinatorRestartIT: RUNS jobs of coordinator, data server, 2 workers and submit as real
# processes, each with 3 kill -9s of the coordinator at seeded random moments (the first before the last epoch
# is planned) and a restart from its checkpoint directory; every run must complete with the ack log holding each
# step exactly once and the workers' reports agreeing. Prints the seed of each run (rerun one with SEED=...).
#   launcher/src/test/scripts/coordinator-chaos.sh [RUNS] [SEED]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../../.." && pwd)"
RUNS="${1:-20}"
SEED="${2:-$(date +%s%N)}"
cd "$ROOT"
rm -f launcher/target/failsafe-reports/*CoordinatorRestartIT*
./mvnw -B -q -o verify -pl launcher -am -Dtest=NONE -Dstoker.fuzz.skip=true \
  -Dit.test='CoordinatorRestartIT#aCoordinatorKilledAtRandomMomentsAndRestartedCompletesTheJobExactlyOnce' \
  -Dsurefire.failIfNoSpecifiedTests=false -Dfailsafe.failIfNoSpecifiedTests=false \
  -Dstoker.chaos.runs="$RUNS" -Dstoker.chaos.seed="$SEED" || status=$?
grep -h "CoordinatorRestartIT:" launcher/target/failsafe-reports/*CoordinatorRestartIT-output.txt || true
grep -o 'tests="[0-9]*" errors="[0-9]*" skipped="[0-9]*" failures="[0-9]*"' \
  launcher/target/failsafe-reports/TEST-io.stoker.launcher.cluster.CoordinatorRestartIT.xml | head -1
exit "${status:-0}"
