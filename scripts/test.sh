#!/usr/bin/env bash
# The whole test suite, as CI runs it: pinned Bun and dependencies, the type check, the real
# services (started here when not already up, and stopped again afterwards), then every test.
# Ends with the line `N passed, N failed`.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bun() { "$root/scripts/bun.sh" "$@"; }

echo "== type check"
bun x tsc --noEmit -p .

# Only what this run starts is stopped again: a developer's Redis stays up even when, say, the
# Dapr sidecar was not running before.
started_here=()
for s in $(scripts/services.sh names); do
  scripts/"$s".sh status >/dev/null 2>&1 || started_here+=("$s")
done
cleanup() { for s in "${started_here[@]}"; do scripts/"$s".sh down >/dev/null 2>&1 || true; done; }
trap cleanup EXIT
echo "== real services"
scripts/services.sh up
# The dashboard's browser test needs chromium; installing it here keeps apt's minutes out of
# the test's own time limit. The test calls the same script and fails if there is none.
echo "== browser"
scripts/chromium.sh path || echo "chromium is unavailable: the dashboard browser test will fail"

echo "== tests"
report="$root/.tools/junit.xml"
mkdir -p "$root/.tools"
rm -f "$report"
set +e
bun test --reporter=junit --reporter-outfile="$report" "$@"
status=$?
set -e
[ -f "$report" ] || { echo "no test report was written (bun test exit $status)"; echo "0 passed, 1 failed"; exit 1; }
read -r tests failures errors skipped < <(node -e '
  const xml = require("fs").readFileSync(process.argv[1], "utf8");
  const m = xml.match(/<testsuites[^>]*>/)[0];
  const n = (k) => Number((m.match(new RegExp(k + "=\"(\\d+)\"")) || [0, 0])[1]);
  console.log(n("tests"), n("failures"), n("errors"), n("skipped"));' "$report")
failed=$((failures + errors))
passed=$((tests - failed - skipped))
if [ "$skipped" -gt 0 ]; then echo "$skipped test(s) were skipped: every test must run"; failed=$((failed + skipped)); fi
if [ "$tests" -eq 0 ]; then echo "no test ran"; failed=1; fi
[ "$status" -eq 0 ] || [ "$failed" -gt 0 ] || failed=1

# Checks beyond the unit, contract, integration and e2e tests; each counts as one test.
check() {
  local name="$1"
  shift
  echo "== $name"
  if "$@"; then passed=$((passed + 1)); else echo "FAILED: $name"; failed=$((failed + 1)); fi
}
check "deployment artifacts (Dockerfile, compose, Kubernetes, Dapr)" scripts/lint-artifacts.sh
check "the container image: built from the Dockerfile, run read-only against Redis and Kafka, < 250 MB" scripts/image-smoke.sh
# An issuer and audience of its own: the service and k6's tokens must both get them from load.sh.
check "k6 smoke against the real service" env JWT_ISSUER=mastery-engine-smoke JWT_AUDIENCE=learnflow-smoke scripts/load.sh smoke
check "schemathesis against the OpenAPI document, as each role" scripts/api-fuzz.sh

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
