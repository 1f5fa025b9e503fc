"""BattleScope: EVE Online killmails to battles, in Python.

The engine is the Rust crate ``battlescope-core``; this package is a thin
skin over it. Killmails stay in Rust memory (a :class:`KillmailSet`) until
you ask for Python objects; parsing and clustering release the GIL.

>>> import battlescope as bs
>>> kms = bs.read_killmails("examples/data")            # files, directories, archives
>>> battles = bs.cluster(kms, correlation_window="30m")  # list[Battle]
>>> df = bs.battles_to_pandas(battles)                   # needs battlescope[pandas]
>>> df[["system_name", "kill_count", "side_count"]].head(3)
  system_name  kill_count  side_count
0     J113508          19           2
1     J125923          11           1
2     J140154           8           2

Names: Python attributes and DataFrame columns are snake_case
(``battle.stats.isk_destroyed``, ``df.isk_destroyed``); documents —
``to_dict()``, ``to_json()``, the intel report — are the JSON documents of
``schemas/`` and the CLI, with camelCase keys (``"iskDestroyed"``).
"""

from __future__ import annotations

import datetime
import os
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from battlescope import _battlescope as _native
from battlescope import _convert
from battlescope._battlescope import (
    Battle,
    BattleStats,
    Clusterer,
    Killmail,
    KillmailIterator,
    KillmailSet,
    Pushed,
    Side,
    __version__,
    Decision,
    Ruleset,
    SECURITY_CLASSES,
    SHIP_CLASSES,
    battles_to_pandas,
    kills_to_pandas,
    parse_duration,
    parse_killmail,
    sides_to_pandas,
)
from battlescope import intel
from battlescope._progress import Progress
from battlescope.errors import (
    BattleScopeError,
    ConfigError,
    FormatError,
    InvalidKillmailError,
    ParseError,
    ReadError,
    SkippedRecordsWarning,
)

if TYPE_CHECKING:
    import pandas as pd

# `filter` is left out: `from battlescope import *` must not shadow the
# builtin (call it as `bs.filter`).
__all__ = [
    "Battle",
    "BattleScopeError",
    "Decision",
    "Ruleset",
    "SECURITY_CLASSES",
    "SHIP_CLASSES",
    "intel",
    "BattleStats",
    "Clusterer",
    "ConfigError",
    "FormatError",
    "InvalidKillmailError",
    "Killmail",
    "KillmailIterator",
    "KillmailSet",
    "ParseError",
    "Pushed",
    "ReadError",
    "Side",
    "SkippedRecordsWarning",
    "__version__",
    "battles_to_pandas",
    "cluster",
    "kills_to_pandas",
    "sides_to_pandas",
    "parse_duration",
    "parse_killmail",
    "read_killmails",
]

#: File names read inside a directory (the CLI reads the same).

PathLike = str | os.PathLike[str]
Records = Iterable[Killmail | dict[str, Any] | str | bytes]
Duration = str | int | float | datetime.timedelta


def _expand(paths: Iterable[PathLike]) -> list[Path]:
    """Files as given; directories to the killmail files under them (core's
    ``expand_paths``: recursive, sorted, every extension core reads)."""
    return [Path(p) for p in _native.expand_paths([os.fspath(p) for p in paths])]

def _is_path(item: object) -> bool:
    if isinstance(item, os.PathLike):
        return True
    # JSON text (and blank text, a bad record) is a record; other text a path.
    if not isinstance(item, str):
        return False
    text = item.lstrip()
    return bool(text) and not text.startswith(("{", "["))


def read_killmails(
    source: PathLike | Iterable[PathLike] | Records | pd.DataFrame,
    *,
    format: str = "auto",
    progress: bool = False,
    strict: bool = False,
    skip_unreadable: bool = False,
    quiet: bool = False,
) -> KillmailSet:
    """Read killmails from files or from memory into a :class:`KillmailSet`.

    ``source`` is one of:

    - a path or a list of paths: files (JSON documents or arrays, JSON
      Lines, the daily ``.tar.bz2`` archives) or directories (searched for
      every extension the engine reads: ``.json``, ``.jsonl``,
      ``.jsonlines``, ``.ndjson``, ``.tar.bz2``, ``.tbz2``, ``.tbz``);
    - a pandas DataFrame of killmails (one column per top-level key, as
      ``KillmailSet.to_pandas()`` or ``pandas.read_json(lines=True)`` make);
    - an iterable of records: dicts, JSON strings or bytes, ``Killmail``
      objects.

    ``format`` is ``auto`` (detected per file and per record) or one of
    ``json``, ``jsonl``, ``archive``, ``esi``, ``r2z2``, ``redisq``,
    ``zkb-api``, or ``container+shape`` such as ``jsonl+r2z2``.

    Bad records are skipped and counted by reason (``KillmailSet.skipped``:
    ``invalid_json``, ``invalid:<field>``, ``not_a_killmail``,
    ``too_large``), with the first 1,000 as exceptions in
    ``KillmailSet.errors``, and a :class:`SkippedRecordsWarning` says so
    (``quiet=True`` silences it); with ``strict=True`` the first one is
    raised instead. Duplicate ids collapse into their first copy.
    ``progress=True`` draws a progress bar (bytes of files, or records of
    in-memory input; tqdm if installed, else a plain one on stderr).

    A file that cannot be read to the end stops only itself: the others are
    read, then the first such file is raised as :class:`ReadError` (or,
    with ``skip_unreadable=True``, the set is returned with the killmails
    read before the failure, the failures in ``KillmailSet.unreadable``,
    and a warning).

    Raises :class:`ReadError` when a file cannot be read,
    :class:`FormatError` when a whole file is not the format or a directory
    holds no killmail file, :class:`ConfigError` for an unknown ``format``.

    >>> kms = read_killmails("examples/data")
    >>> len(kms), kms.skipped
    (122, {})
    """
    if _convert.is_frame(source):
        frame: Any = source
        kms = _read_records(_convert.frame_records(frame), len(frame), format, strict, progress)
        _warn_skipped(kms, quiet, frame_columns=[str(c) for c in frame.columns])
        return kms
    if isinstance(source, (str, os.PathLike)):
        items: list[Any] = [source]
    elif isinstance(source, (bytes, dict, Killmail)):
        raise TypeError(
            "read_killmails reads files or collections of records; "
            "for one record use parse_killmail()"
        )
    else:
        items = list(source)
    kinds = {_is_path(item) for item in items}
    if kinds == {True, False}:
        raise TypeError("read_killmails got a mix of paths and records")
    if kinds != {True}:
        kms = _read_records(items, len(items), format, strict, progress)
        _warn_skipped(kms, quiet)
        return kms
    files = _expand(items)
    if not progress:
        kms = _native.read_paths(
            files, format=format, strict=strict, skip_unreadable=skip_unreadable
        )
    else:
        total = sum(f.stat().st_size for f in files if f.is_file())
        with Progress(total, "reading killmails") as bar:
            kms = _native.read_paths(
                files, format=format, progress=bar, strict=strict, skip_unreadable=skip_unreadable
            )
    _warn_skipped(kms, quiet)
    return kms


def _read_records(
    records: Iterable[Any], total: int, format: str, strict: bool, progress: bool
) -> KillmailSet:
    if not progress:
        return _native.read_records(records, format=format, strict=strict)
    with Progress(total, "reading killmails", unit="records") as bar:
        return _native.read_records(records, format=format, strict=strict, progress=bar)


def _warn_skipped(
    kms: KillmailSet, quiet: bool, *, frame_columns: list[str] | None = None
) -> None:
    """Skipped records and unreadable files are never silent: one warning
    each, with the counts by reason and the first error."""
    if quiet:
        return
    skipped = kms.skipped
    if skipped:
        total = sum(skipped.values())
        counts = ", ".join(
            f"{reason}: {n:,}" for reason, n in sorted(skipped.items(), key=lambda kv: -kv[1])
        )
        message = (
            f"read_killmails skipped {total:,} of {kms.report['records']:,} records "
            f"({counts})"
        )
        errors = kms.errors
        if errors:
            message += f"; the first: {errors[0]}"
        if frame_columns is not None and not {"victim", "attackers"} <= set(frame_columns):
            message += (
                "; the DataFrame has no `victim` / `attackers` columns: a frame made by "
                "KillmailSet.to_pandas(nested=False) cannot be read back, "
                "use to_pandas() (nested=True)"
            )
        message += " (KillmailSet.skipped and .errors hold them; quiet=True silences this)"
        warnings.warn(SkippedRecordsWarning(message, skipped), stacklevel=3)
    unreadable = kms.unreadable
    if unreadable:
        warnings.warn(
            SkippedRecordsWarning(
                f"read_killmails could not read {len(unreadable)} input(s) to the end, "
                f"kept the killmails read before: {unreadable[0]} "
                "(KillmailSet.unreadable holds them; quiet=True silences this)",
                {"unreadable": len(unreadable)},
            ),
            stacklevel=3,
        )


def filter(killmails: KillmailSet | pd.DataFrame | Records, ruleset: Ruleset) -> KillmailSet:
    """The killmails ``ruleset`` accepts, as a :class:`KillmailSet` whose
    ``rejected`` counts the others by rule. Call it as ``bs.filter``:
    ``from battlescope import *`` leaves it out, so that it does not shadow
    the builtin ``filter``."""
    return _native.filter(killmails, ruleset)


def cluster(
    killmails: KillmailSet | pd.DataFrame | Records,
    *,
    correlation_window: Duration = "30m",
    max_gap: Duration = "15m",
    min_shared: int = 1,
    correlate_by: str = "character",
    min_kills: int = 2,
) -> list[Battle]:
    """Cluster killmails into battles (the GIL is released meanwhile).

    Two killmails are linked when they are in the same solar system, at
    most ``correlation_window`` apart, and share at least ``min_shared``
    participants (``correlate_by``: ``character``, ``corporation`` or
    ``alliance``; ``min_shared=0`` links on place and time alone). Linked
    killmails form battles, split where they fall silent for longer than
    ``max_gap``; groups of fewer than ``min_kills`` kills are dropped.

    ``killmails``: a :class:`KillmailSet` (no copy), a pandas DataFrame, or
    an iterable of :class:`Killmail` objects, dicts or JSON strings (the
    first record that is not a killmail raises :class:`ParseError`).
    Durations: ``"30m"``, ``"1h 30m"``, seconds, or a ``timedelta``.

    Returns the battles sorted by first kill; each is named by its system
    and earliest killmail, so the same data gives the same ids as the
    ``battlescope cluster`` command.
    """
    return _native.cluster(
        killmails,
        correlation_window=correlation_window,
        max_gap=max_gap,
        min_shared=min_shared,
        correlate_by=correlate_by,
        min_kills=min_kills,
    )
