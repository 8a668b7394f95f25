"""schemathesis hooks for scripts/api-fuzz.sh: one extra check, and ids that reach real data.

FUZZ_SUBJECT names the student the run's token belongs to, or the student the seeded cohort holds;
half of the generated path ids become that student, so reads, exports and consent changes also
reach the paths that answer 200 instead of stopping at 403 or 404.
"""

import os
import re

import schemathesis
from hypothesis import strategies as st

SUBJECT = os.environ.get("FUZZ_SUBJECT", "")
COHORT = os.environ.get("FUZZ_COHORT", "")

# A JavaScript stack frame ("    at fn (/app/src/x.ts:12:5)"), a source file path with a line
# number, or a JavaScript error class with its message: what a leaked stack trace looks like. (Ids
# echoed in messages cannot contain "/" or spaces, so they cannot look like these.)
STACK_TRACE = re.compile(r"\n\s+at \S|/[\w.-]+\.(?:ts|js|mjs):\d+|\b(?:TypeError|ReferenceError|SyntaxError|RangeError): ")


@schemathesis.check
def no_stack_trace(ctx, response, case):
    """No answer, whatever its status, shows a stack trace or a source location."""
    text = response.text or ""
    found = STACK_TRACE.search(text)
    if found:
        raise AssertionError(f"the response shows a stack trace or source location: {found.group(0)!r}")


@schemathesis.hook
def flatmap_path_parameters(ctx, params):
    if not params:
        return st.just(params)
    known = dict(params)
    if SUBJECT and "student_id" in known:
        known["student_id"] = SUBJECT
    if COHORT and "cohort_id" in known:
        known["cohort_id"] = COHORT
    return st.sampled_from([params, known])
