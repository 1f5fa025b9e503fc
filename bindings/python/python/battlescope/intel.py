"""Battle intel: what a set of battles says about one alliance, corporation
or character — who they fight and fight beside, what they fly and lose,
their doctrines, where and when they are active.

>>> import battlescope as bs
>>> kms = bs.read_killmails("examples/data")
>>> report = bs.intel.analyze(kms, alliance=99009614)
>>> report["summary"]["battles"], [o["group"] for o in report["opponents"][:1]]
(1, [{'kind': 'corporation', 'id': 98725773}])
>>> frames = bs.intel.to_pandas(report)     # needs battlescope[pandas]
>>> frames["opponents"][["group_kind", "group_id", "kills", "isk_killed"]]
    group_kind   group_id  kills    isk_killed
0  corporation   98725773     14  1.714547e+09

The report is core's (`battlescope_core::intel::analyze`), as the JSON
document ``battlescope intel`` prints (camelCase keys, like every
document's ``to_dict()``); :func:`to_pandas` lays its sections out as
DataFrames with snake_case columns, like the other frames.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Literal

import re

from battlescope import _battlescope as _native
from battlescope import _pandas
from battlescope._battlescope import Battle, KillmailSet

if TYPE_CHECKING:
    import pandas as pd

    from battlescope import Records

__all__ = ["analyze", "to_pandas", "SECTIONS"]


def analyze(
    killmails: KillmailSet | pd.DataFrame | Records,
    battles: Iterable[Battle] | None = None,
    *,
    alliance: int | None = None,
    corporation: int | None = None,
    character: int | None = None,
    doctrine_scope: Literal["side", "entity"] | None = None,
    doctrine_similarity: float | None = None,
    doctrine_min_fleet: int | None = None,
    doctrine_min_battles: int | None = None,
) -> dict[str, Any]:
    """The intel report on exactly one of ``alliance``, ``corporation`` or
    ``character`` (ids).

    ``battles`` are the battles to read (with their ``killmails``, looked up
    by id; a superset is fine); when omitted, ``cluster(killmails)`` with
    the default configuration, as ``battlescope intel`` does.

    Doctrine detection (``None`` keeps core's defaults): ``doctrine_scope``
    ``"side"`` (every pilot of the entity's side: the fleet; default) or
    ``"entity"`` (its own pilots); ``doctrine_similarity``, 0 to 1, the
    least similarity of hull mixes in one doctrine (default 0.7);
    ``doctrine_min_fleet``, fewest pilots in a mix (5);
    ``doctrine_min_battles``, fewest battles of a doctrine (2).
    """
    if battles is None:
        battles = _native.cluster(killmails)
    return _native.analyze_intel(
        killmails,
        battles,
        alliance=alliance,
        corporation=corporation,
        character=character,
        doctrine_scope=doctrine_scope,
        doctrine_similarity=doctrine_similarity,
        doctrine_min_fleet=doctrine_min_fleet,
        doctrine_min_battles=doctrine_min_battles,
    )


_GROUP = {"group_kind": "group_kind", "group_id": "int"}
_PLACE = {
    "id": "int",
    "name": "text",
    "battles": "int",
    "kills": "int",
    "isk_killed": "float",
    "losses": "int",
    "isk_lost": "float",
}

#: The report's sections as frames: name → (path in the report, column →
#: kind). The columns are the items' keys in snake_case (``group`` split
#: into ``group_kind`` and ``group_id``); each has one dtype whatever the
#: rows (``float64`` for ISK, NaN when unknown).
SECTIONS: dict[str, tuple[tuple[str, ...], dict[str, str]]] = {
    "opponents": (
        ("opponents",),
        {
            **_GROUP,
            "battles": "int",
            "kills": "int",
            "isk_killed": "float",
            "kills_without_value": "int",
            "losses": "int",
            "isk_lost": "float",
            "losses_without_value": "int",
        },
    ),
    "allies": (
        ("allies",),
        {
            **_GROUP,
            "battles": "int",
            "kills_together": "int",
            "isk_killed_together": "float",
            "losses": "int",
            "isk_lost": "float",
            "losses_without_value": "int",
        },
    ),
    "hulls": (
        ("ships", "hulls"),
        {
            "type_id": "int",
            "name": "text",
            "class": "ship_class",
            "flown": "int",
            "pilots": "int",
            "kills": "int",
            "isk_killed": "float",
            "lost": "int",
            "isk_lost": "float",
            "lost_without_value": "int",
        },
    ),
    "classes": (
        ("ships", "classes"),
        {
            "class": "ship_class",
            "flown": "int",
            "kills": "int",
            "isk_killed": "float",
            "lost": "int",
            "isk_lost": "float",
            "lost_without_value": "int",
        },
    ),
    "doctrines": (
        ("doctrines",),
        {
            "name": "text",
            "hulls": "object",
            "times_flown": "int",
            "average_fleet": "float",
            "isk_killed": "float",
            "isk_lost": "float",
            "efficiency": "float",
            "wins": "int",
            "win_rate": "float",
            "first_flown": "iso_time",
            "last_flown": "iso_time",
            "battles": "object",
        },
    ),
    "systems": (("activity", "systems"), _PLACE),
    "regions": (("activity", "regions"), _PLACE),
    "hours": (("activity", "hours"), {"hour": "int", "kills": "int", "losses": "int"}),
    "pilots": (
        ("pilots",),
        {
            "character_id": "int",
            "battles": "int",
            "kills": "int",
            "losses": "int",
            "first_seen": "iso_time",
            "last_seen": "iso_time",
            "hulls": "object",
        },
    ),
}


def _snake(key: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()


def to_pandas(report: dict[str, Any]) -> dict[str, pd.DataFrame]:
    """The report's list sections as DataFrames, by name (the keys of
    :data:`SECTIONS`: opponents, allies, hulls, classes, doctrines,
    systems, regions, hours, pilots), with snake_case columns and the same
    dtypes whether a section is empty or not. Nested lists (a doctrine's
    hulls and battles, a pilot's hulls) stay in ``object`` columns, as the
    report's dicts.
    """
    frames: dict[str, pd.DataFrame] = {}
    for name, (path, kinds) in SECTIONS.items():
        items: Any = report
        for key in path:
            items = items[key]
        columns: dict[str, list[Any]] = {column: [] for column in kinds}
        for item in items:
            for key, value in item.items():
                if key == "group":
                    columns["group_kind"].append(value["kind"])
                    columns["group_id"].append(value["id"])
                else:
                    columns[_snake(key)].append(value)
        frames[name] = _pandas.frame(
            columns,
            {c: _KIND_OF.get(k, k) for c, k in kinds.items()},
            {
                c: list(_CATEGORIES[k])
                for c, k in kinds.items()
                if k in _CATEGORIES
            },
        )
    return frames


_CATEGORIES = {
    "ship_class": _native.SHIP_CLASSES,
    "group_kind": ("alliance", "corporation", "character"),
}
_KIND_OF = {"ship_class": "category", "group_kind": "category"}
