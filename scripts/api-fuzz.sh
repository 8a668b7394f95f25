#!/usr/bin/env bash
# Fuzzes the HTTP API against its own OpenAPI document with schemathesis (docs/api.md).
#   scripts/api-fuzz.sh            (run by scripts/test.sh)
# Installs the pinned schemathesis from PyPI into .tools/schemathesis/<version> (git-ignored) once,
# starts the service on a free loopback port (in-memory state, fresh random secrets), seeds one
# cohort and a few events, then runs schemathesis once per role with a valid token: student,
# teacher, admin, service. Fails on any 5xx, undocumented status, response breaking its schema,
# wrong content type or headers, a secured operation answering without a valid token, a stack trace
# in a body, or an error in the service's log. Always stops the service.
# Env: FUZZ_MAX_EXAMPLES (per operation and role, default 25), FUZZ_SEED (default: random, printed).
# Reports (git-ignored): .tools/api-fuzz/<role>/ (JUnit XML), .tools/api-fuzz/service.log.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
# shellcheck source=scripts/env-file.sh
. "$root/scripts/env-file.sh" # free_port
# shellcheck source=scripts/service-run.sh
. "$root/scripts/service-run.sh" # follow_service
say() { echo "[api-fuzz] $*" >&2; }

SCHEMATHESIS_VERSION=4.32.5
requirements="$root/scripts/api-fuzz/requirements.txt"
venv="$root/.tools/schemathesis/$SCHEMATHESIS_VERSION"
stamp="$venv/.installed"
# The venv is rebuilt when the pinned requirements change; a half-built one has no stamp.
want="$(sha256sum "$requirements" | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  say "installing schemathesis $SCHEMATHESIS_VERSION from PyPI into ${venv#"$root"/} (once)"
  grep -qx "schemathesis==$SCHEMATHESIS_VERSION" "$requirements" || { say "$requirements does not pin schemathesis==$SCHEMATHESIS_VERSION"; exit 2; }
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-input -r "$requirements" >&2
  echo "$want" >"$stamp"
fi

out="$root/.tools/api-fuzz"
rm -rf "$out"
mkdir -p "$out"
# One issuer and audience for the service and the tokens, whatever this shell has set.
issuer="${JWT_ISSUER:-mastery-engine}"
audience="${JWT_AUDIENCE:-learnflow}"
jwt_secret="$(openssl rand -hex 32)"
port="$(free_port 18105)"
base_url="http://127.0.0.1:$port"
log="$out/service.log"
# exec env: the background job's pid is the bun process itself, so the trap stops the service.
# The rate limit is out of the way: 429 is documented, but every one would be a test not run.
exec env -i PATH="$PATH" HOME="${HOME:-/root}" \
  APP_ENV=production LOG_LEVEL=warn HOST=127.0.0.1 PORT="$port" STATE_BACKEND=memory \
  JWT_SECRET="$jwt_secret" JWT_ISSUER="$issuer" JWT_AUDIENCE="$audience" PSEUDONYM_KEY="$(openssl rand -hex 32)" \
  RATE_LIMIT_PER_MINUTE=1000000 GIT_COMMIT=api-fuzz \
  scripts/bun.sh src/main.ts >"$log" 2>&1 &
follow_service $! "$log" "$base_url"

tenant=fuzz
token() { JWT_SECRET="$jwt_secret" JWT_ISSUER="$issuer" JWT_AUDIENCE="$audience" "$root/scripts/bun.sh" "$root/scripts/mint-token.ts" "$1" "$2" "$tenant" 3600; }
api() { # api METHOD PATH ROLE SUB [BODY]: one seeding request, which must succeed
  curl -fsS -o /dev/null -X "$1" "$base_url$2" -H "authorization: Bearer $(token "$3" "$4")" \
    ${5:+-H 'content-type: application/json' --data "$5"}
}
# Data to find: a cohort joining the teacher and the student, and some events of that student.
api PUT /api/v1/cohorts/fuzz-cohort admin fuzz-admin '{"name":"fuzz","teacher_ids":["fuzz-teacher"],"student_ids":["fuzz-student"]}'
now="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
api POST /api/v1/events service fuzz-service "[
  {\"event_id\":\"seed-1\",\"event_type\":\"lesson.completed\",\"student_id\":\"fuzz-student\",\"topic_id\":\"python-basics\",\"occurred_at\":\"$now\",\"data\":{\"lesson_id\":\"python-basics.intro\"}},
  {\"event_id\":\"seed-2\",\"event_type\":\"quiz.completed\",\"student_id\":\"fuzz-student\",\"topic_id\":\"python-basics\",\"occurred_at\":\"$now\",\"data\":{\"quiz_id\":\"q1\",\"score\":0.8}}]"

seed="${FUZZ_SEED:-$RANDOM$RANDOM}"
say "fuzzing $base_url/docs/json as student, teacher, admin and service (seed $seed, up to ${FUZZ_MAX_EXAMPLES:-25} cases per operation and role)"
failed=0
for role in student teacher admin service; do
  started=$SECONDS
  set +e
  # From the report directory: schemathesis keeps its working files in the current one.
  (cd "$out" && PYTHONPATH="$root/scripts/api-fuzz" SCHEMATHESIS_HOOKS=api_fuzz_hooks FUZZ_SUBJECT=fuzz-student FUZZ_COHORT=fuzz-cohort \
    "$venv/bin/st" run "$base_url/docs/json" \
    --header "Authorization: Bearer $(token "$role" "fuzz-$role")" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance,ignored_auth,no_stack_trace \
    --phases examples,coverage,fuzzing --max-examples "${FUZZ_MAX_EXAMPLES:-25}" --seed "$seed" \
    --workers 1 --request-timeout 10 --no-color \
    --report junit --report-dir "$out/$role") >"$out/$role.txt" 2>&1
  rc=$?
  set -e
  say "$role: $(grep -E '^(=+ .* =+|[0-9]+ (passed|failed).*)$' "$out/$role.txt" | tail -n 1) ($((SECONDS - started)) s)"
  if [ "$rc" -ne 0 ]; then failed=1; say "$role: schemathesis exited $rc; its report:"; cat "$out/$role.txt" >&2; fi
done
if grep -q '"level":[56]0' "$log"; then failed=1; say "the service logged errors:"; grep '"level":[56]0' "$log" | head -n 20 >&2; fi
exit "$failed"
