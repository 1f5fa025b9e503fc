"""DataFrames from the columns the extension module builds.

pandas is optional (``pip install battlescope[pandas]``); it is imported
only when a DataFrame is asked for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd


def _pandas() -> Any:
    try:
        import pandas
    except ImportError as e:  # pragma: no cover - exercised without pandas only
        raise ImportError(
            "this needs pandas: pip install 'battlescope[pandas]'"
        ) from e
    return pandas


def frame(columns: dict[str, list[Any]], kinds: dict[str, str]) -> pd.DataFrame:
    """A DataFrame from equal-length column lists, typed by ``kinds``:
    ``time`` (epoch seconds → ``datetime64[ns, UTC]``), ``optional_int``
    (nullable ``Int64``), ``category``, ``text`` (``str``/``object`` with
    ``None`` kept), ``plain`` (as inferred)."""
    pandas = _pandas()
    data: dict[str, Any] = {}
    for name, values in columns.items():
        kind = kinds.get(name, "plain")
        if kind == "time":
            data[name] = pandas.to_datetime(pandas.Series(values, dtype="int64"), unit="s", utc=True)
        elif kind == "optional_int":
            data[name] = pandas.array(values, dtype="Int64")
        elif kind == "category":
            data[name] = pandas.Categorical(values)
        elif kind == "plain" and values and isinstance(values[0], (list, dict)):
            series = pandas.Series(index=range(len(values)), dtype=object)
            series[:] = values
            data[name] = series
        else:
            data[name] = values
    n = len(next(iter(columns.values()), []))
    result: pd.DataFrame = pandas.DataFrame(data, index=pandas.RangeIndex(n))
    return result
