"""Python objects to JSON text, the form in which core reads records.

Used by the extension module for every record that is not already a
``Killmail`` or JSON text: dicts (with ``datetime`` values or numpy scalars)
and pandas DataFrames. Conversion only: what the text means is core's to
decide.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import sys
from collections.abc import Iterable, Iterator
from typing import Any


def _default(value: Any) -> Any:
    """``json.dumps`` fallback for the types notebooks hold."""
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=_dt.timezone.utc)
        value = value.astimezone(_dt.timezone.utc)
        return value.isoformat().replace("+00:00", "Z")
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item) and type(value).__module__ == "numpy":
        return item()
    tolist = getattr(value, "tolist", None)  # numpy / pandas arrays
    if callable(tolist):
        return tolist()
    raise TypeError(
        f"a killmail record cannot hold a {type(value).__name__} ({value!r}); "
        "expected JSON values"
    )


def to_json(record: Any) -> str:
    """One record as compact JSON text."""
    return json.dumps(record, default=_default, separators=(",", ":"), allow_nan=False)


def _missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    pandas = sys.modules.get("pandas")
    if pandas is not None and (value is pandas.NaT or value is pandas.NA):
        return True
    return False


def _cell(value: Any) -> Any:
    # DataFrames store optional integer columns as floats (NaN for missing).
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def frame_records(frame: Any) -> Iterator[str]:
    """The rows of a DataFrame of killmails (one column per top-level key,
    as ``KillmailSet.to_pandas()`` or ``pandas.read_json(lines=True)`` make
    them) as JSON text, one at a time; missing cells are left out."""
    for row in frame.to_dict("records"):
        yield to_json({str(k): _cell(v) for k, v in row.items() if not _missing(v)})


def is_frame(obj: Any) -> bool:
    """True for a pandas DataFrame (without importing pandas)."""
    pandas = sys.modules.get("pandas")
    return pandas is not None and isinstance(obj, pandas.DataFrame)


def records(obj: Any) -> Iterable[Any]:
    """The records of a collection: a DataFrame's rows as JSON text, any
    other iterable as it is."""
    if is_frame(obj):
        return frame_records(obj)
    if isinstance(obj, dict):
        raise TypeError(
            "expected a collection of killmails, got one dict; wrap it in a list "
            "or use parse_killmail()"
        )
    return obj  # type: ignore[no-any-return]
