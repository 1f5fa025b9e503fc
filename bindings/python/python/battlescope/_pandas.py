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


def _text_dtype(pandas: Any) -> Any:
    """pandas's text dtype: ``str`` from pandas 3 on, ``object`` before."""
    return "str" if int(pandas.__version__.split(".")[0]) >= 3 else object


def frame(
    columns: dict[str, list[Any]],
    kinds: dict[str, str],
    categories: dict[str, list[str]],
) -> pd.DataFrame:
    """A DataFrame from equal-length column lists, each typed by its kind
    whatever its values (so an empty frame has the same dtypes as a full
    one): ``int`` → ``int64``, ``float`` → ``float64`` (``None`` → NaN),
    ``bool``, ``optional_int`` → nullable ``Int64``, ``time`` (epoch
    seconds) and ``iso_time`` (RFC 3339 text) → ``datetime64[ns, UTC]``, ``category`` → ``category`` with
    every value of ``categories[name]``, ``text`` → pandas's text dtype
    (``None`` kept missing), ``object`` (lists, dicts)."""
    pandas = _pandas()
    data: dict[str, Any] = {}
    for name, values in columns.items():
        kind = kinds[name]
        if kind == "int":
            data[name] = pandas.Series(values, dtype="int64")
        elif kind == "float":
            data[name] = pandas.Series(values, dtype="float64")
        elif kind == "bool":
            data[name] = pandas.Series(values, dtype="bool")
        elif kind == "optional_int":
            data[name] = pandas.Series(pandas.array(values, dtype="Int64"))
        elif kind == "time":
            seconds = pandas.Series(values, dtype="int64")
            data[name] = pandas.to_datetime(seconds, unit="s", utc=True).astype(
                "datetime64[ns, UTC]"
            )
        elif kind == "iso_time":
            data[name] = pandas.to_datetime(
                pandas.Series(values, dtype=object), utc=True, format="ISO8601"
            ).astype("datetime64[ns, UTC]")
        elif kind == "category":
            dtype = pandas.CategoricalDtype(categories[name])
            data[name] = pandas.Series(values, dtype=dtype)
        elif kind == "text":
            data[name] = pandas.Series(values, dtype=_text_dtype(pandas))
        elif kind == "object":
            series = pandas.Series(index=range(len(values)), dtype=object)
            series[:] = values
            data[name] = series
        else:  # pragma: no cover - the extension module names only the kinds above
            raise ValueError(f"column {name!r}: unknown kind {kind!r}")
    n = len(next(iter(columns.values()), []))
    result: pd.DataFrame = pandas.DataFrame(data, index=pandas.RangeIndex(n))
    return result
