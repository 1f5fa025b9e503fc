"""Schemathesis hooks of scripts/test-fuzz (named in the config it writes).

A check of the API's own promise (#19): every 400 names the parameter (or
body field) that was wrong, one the request had or the operation documents.

The OpenAPI document states every bound the API checks on one parameter,
so the fuzzer's positive_data_acceptance check holds the API to it. One rule
joins two parameters and no JSON Schema can state it: `since` after `until`
is refused with a 400 naming `since` (GET /api/battles and POST
/api/search/battles; unit-tested in platform/src/api/battles.rs and
search.rs, documented on `since`). A request that breaks that rule, and only
that rule, is no finding; the hook checks that the request really has since
> until (as the API compares them: whole seconds, floored) before it drops
the failure, and schemathesis counts what it dropped in its summary.
"""

from __future__ import annotations

import json
import math
import re
from datetime import datetime
from typing import Any

import schemathesis

# A leap second (`:60`) is the second before it for the API (chrono).
_LEAP_SECOND = re.compile(r":60(?=[.Zz+-]|$)")


def _seconds(value: Any) -> int | None:
    """Seconds since the epoch of an RFC 3339 time or an integer, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if not isinstance(value, str):
        return None
    try:
        return int(value, 10)
    except ValueError:
        pass
    try:
        t = datetime.fromisoformat(_LEAP_SECOND.sub(":59", value.upper()))
    except ValueError:
        return None
    if t.tzinfo is None:
        return None
    return math.floor(t.timestamp())


def _since_after_until(case: Any) -> bool:
    for given in (case.query, case.body):
        if isinstance(given, dict) and "since" in given and "until" in given:
            since, until = _seconds(given["since"]), _seconds(given["until"])
            return since is not None and until is not None and since > until
    return False


@schemathesis.hook
def filter_failure(context: Any, failure: Any, case: Any, response: Any) -> bool:
    """Keep every failure but a 400 for since > until on a valid request."""
    if failure.code != "ST202" or response.status_code != 400:
        return True
    try:
        error = json.loads(response.content)["error"]
    except (ValueError, KeyError, TypeError):
        return True
    said_so = error.get("parameter") == "since" and "is after `until`" in error.get("message", "")
    return not (said_so and _since_after_until(case))


@schemathesis.check
def bad_request_names_the_parameter(ctx: Any, response: Any, case: Any) -> bool | None:
    """A 400's `error.parameter` is a parameter of the request or of the operation."""
    if response.status_code != 400:
        return None
    error = json.loads(response.content)["error"]
    named = error.get("parameter")
    known = {"body"}
    for given in (case.query, case.path_parameters, case.body):
        if isinstance(given, dict):
            known.update(str(k) for k in given)
    known.update(p.name for p in case.operation.iter_parameters())
    if not isinstance(named, str) or named not in known:
        raise AssertionError(f"a 400 names {named!r}, not a parameter of the request ({sorted(known)}): {error}")
    return None
