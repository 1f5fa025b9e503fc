"""Exceptions of BattleScope.

Every error the engine reports is a :class:`BattleScopeError`; each class
also derives from the builtin a caller would catch without knowing
BattleScope (``ValueError`` for bad input, ``OSError`` for reading).

The attributes name the input so it can be found and fixed:

``reason``
    Stable key of the error kind, the same key ``KillmailSet.skipped`` counts
    by: ``invalid_json``, ``invalid:<field>``, ``not_a_killmail``,
    ``too_large``, ``format``, ``config``, ``io``.
``record``
    Where the record is, as text (``"killmail 7 at a.jsonl line 4"``).
``source``
    File name (``None`` for in-memory input).
``line`` / ``index`` / ``entry``
    1-based line of a JSON Lines file, 0-based index of a JSON array
    element or of an in-memory record, or the member name in an archive.
``field``
    The offending field (``"attackers[3].final_blow"``, ``"victim"``, or a
    configuration key such as ``"max_gap"``).
``killmail_id``
    The killmail's id, when it could be read.
``kind``
    The engine's kind of error, the same word in every language BattleScope
    speaks (Rust ``Error::kind``, Node's ``error.kind``): ``json``,
    ``invalid``, ``shape``, ``too_large``, ``io``, ``format``, ``config``,
    ``event`` (a bus event).
"""

from __future__ import annotations

__all__ = [
    "BattleScopeError",
    "ConfigError",
    "FormatError",
    "InvalidKillmailError",
    "ParseError",
    "ReadError",
    "SkippedRecordsWarning",
]


class BattleScopeError(Exception):
    """Base class of every BattleScope error."""

    reason: str
    record: str | None
    source: str | None
    line: int | None
    index: int | None
    entry: str | None
    field: str | None
    killmail_id: int | None
    kind: str

    def __init__(
        self,
        message: str,
        *,
        reason: str = "",
        record: str | None = None,
        source: str | None = None,
        line: int | None = None,
        index: int | None = None,
        entry: str | None = None,
        field: str | None = None,
        killmail_id: int | None = None,
        kind: str = "",
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.reason = reason
        self.record = record
        self.source = source
        self.line = line
        self.index = index
        self.entry = entry
        self.field = field
        self.killmail_id = killmail_id


class ParseError(BattleScopeError, ValueError):
    """A record is not a killmail core can read: not JSON, JSON of the wrong
    shape or type at ``field``, no known record shape, or over the size
    limit."""


class InvalidKillmailError(ParseError):
    """A well-formed killmail breaks a validation rule (an id of 0, a time
    before EVE existed, …); ``field`` names the value."""


class FormatError(BattleScopeError, ValueError):
    """A whole input cannot be read as the chosen or detected format (for
    example a broken JSON array, or an archive in a build without archive
    support)."""


class ConfigError(BattleScopeError, ValueError):
    """A configuration value is invalid (``field`` names it): a duration, a
    clustering parameter, an input format name, a clusterer snapshot."""


class ReadError(BattleScopeError, OSError):
    """Reading a source failed (it cannot be opened, or I/O failed);
    ``source`` names it."""


class SkippedRecordsWarning(UserWarning):
    """Records were skipped (or inputs not read to the end) while reading:
    ``skipped`` holds the counts by reason (the keys of
    ``KillmailSet.skipped``, or ``unreadable``). Raised as a warning unless
    ``read_killmails(..., quiet=True)``; turn it into an error with
    ``warnings.simplefilter("error", SkippedRecordsWarning)``."""

    skipped: dict[str, int]

    def __init__(self, message: str, skipped: dict[str, int]) -> None:
        super().__init__(message)
        self.skipped = dict(skipped)
