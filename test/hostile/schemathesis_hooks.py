"""
Schemathesis hooks for Gatehouse (loaded through SCHEMATHESIS_HOOKS by schemathesis.py).

Adds one check the stock ones cannot make: a refused request (any 4xx or 5xx) appends
nothing to the event store. The store's head position is read before every call and
again after a refusal, through the root-only projection status (GATEHOUSE_ST_BASE and
GATEHOUSE_ST_ROOT name the server and its root key). Runs use one worker, so no other
request can move the head in between.

One documented 5xx is accepted: 503 CONSISTENCY.NOT_YET_APPLIED for a check whose
`consistency.atLeast` names a revision beyond the store's head (a token no write ever
returned, so the cache cannot reach it within the wait). Anything else is a failure.
"""

import atexit
import collections
import json
import os
import urllib.request

import schemathesis

BASE = os.environ["GATEHOUSE_ST_BASE"]
ROOT = os.environ["GATEHOUSE_ST_ROOT"]
_before: dict[str, int] = {}
_statuses: collections.Counter = collections.Counter()
_by_operation: collections.Counter = collections.Counter()


@atexit.register
def _summary() -> None:
    # One line per run for the CI log and docs/reliability.md: which answers the fuzzer saw.
    counts = ", ".join(f"{status}: {n}" for status, n in sorted(_statuses.items()))
    print(f"gatehouse: responses by status: {counts}", flush=True)
    if os.environ.get("GATEHOUSE_ST_DEBUG") == "1":
        for (label, status), n in _by_operation.most_common(25):
            print(f"gatehouse:   {n:5d} × {status} {label}", flush=True)


def head() -> int:
    request = urllib.request.Request(f"{BASE}/v1/admin/projection", headers={"Authorization": f"Bearer {ROOT}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return int(json.load(response)["head"])


@schemathesis.hook
def before_call(context, case, kwargs):
    _before[case.id] = head()


@schemathesis.check
def refused_request_appends_nothing(ctx, response, case):
    """A request answered 4xx or 5xx must leave the event store's head where it was."""
    _statuses[response.status_code] += 1
    _by_operation[(case.operation.label, response.status_code)] += 1
    if response.status_code < 400:
        return None
    before = _before.get(case.id)
    if before is None:
        return None
    after = head()
    if after != before:
        raise AssertionError(f"refused with {response.status_code}, yet the store head moved from {before} to {after}")
    return None


def _at_least(case) -> int | None:
    body = case.body if isinstance(case.body, dict) else None
    consistency = body.get("consistency") if body else None
    value = consistency.get("atLeast") if isinstance(consistency, dict) else None
    return int(value) if isinstance(value, str) and value.isdigit() else None


@schemathesis.hook
def filter_failure(context, failure, case, response):
    if response.status_code != 503:
        return True
    try:
        code = response.json().get("code")
    except Exception:
        return True
    at_least = _at_least(case)
    before = _before.get(case.id)
    unreachable = at_least is not None and before is not None and at_least > before
    return not (code == "CONSISTENCY.NOT_YET_APPLIED" and unreachable)
