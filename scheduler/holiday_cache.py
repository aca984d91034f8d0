"""A disk cache of public-holiday tables, at the edge (the core computes them, the CLI caches them).

The `holidays` package imports every country it knows before it can answer for one; that is
most of a plan's run time. Holiday names for a (country, subdivision, year) never change for a
given `holidays` release, so the first plan computes and stores them and later plans read a small
JSON file instead. The cache folder is keyed by the package's version, so upgrading `holidays`
starts afresh. A missing, unreadable or corrupt cache file is ignored and rewritten; a folder that
cannot be written is simply not used. Outputs are byte-identical with or without the cache.

Location: `LMSCHED_CACHE_DIR` if set (empty or `off` turns the cache off), else
`$XDG_CACHE_HOME/lmsched`, else `~/.cache/lmsched`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path

from .calendar import HolidayNames, HolidaySource, LocalHolidaySource, holiday_names

__all__ = ["cache_dir", "cached_names", "cached_source", "holidays_version"]

_DIST = re.compile(r"^holidays-([0-9][A-Za-z0-9.+_-]*)\.dist-info$")
_SAFE = re.compile(r"[^A-Za-z0-9_-]")


def cache_dir(env: Mapping[str, str]) -> Path | None:
    """Where the cache lives for this environment, or None when it is turned off."""
    if "LMSCHED_CACHE_DIR" in env:
        given = env["LMSCHED_CACHE_DIR"].strip()
        return None if given.lower() in {"", "off", "0", "no"} else Path(given)
    base = env.get("XDG_CACHE_HOME") or (str(Path.home() / ".cache") if env.get("HOME") else "")
    return Path(base) / "lmsched" if base else None


def holidays_version() -> str | None:
    """The installed `holidays` release, from its dist-info folder's name: without importing the
    package or importlib.metadata (each costs more than the cache saves on a small plan)."""
    from importlib.util import find_spec

    spec = find_spec("holidays")
    if spec is None or not spec.submodule_search_locations:
        return None
    site = Path(next(iter(spec.submodule_search_locations))).parent
    found = [_DIST.match(p.name) for p in site.glob("holidays-*.dist-info")]
    versions = {m.group(1) for m in found if m}
    return versions.pop() if len(versions) == 1 else None


def cached_source(folder: Path | None, language: str | None = None) -> HolidaySource:
    """A holiday source that reads years from `folder` and computes (and stores) the rest; the
    names in `language` (a patient's, where the package has it; None: the country's own)."""
    version = holidays_version() if folder is not None else None
    if folder is None or version is None:
        return lambda country, subdiv: holiday_names(country, subdiv, language)
    root = folder / f"holidays-{version}"  # _DIST allows no path separator

    def source(country: str, subdiv: str | None) -> HolidayNames:
        name = "-".join(_SAFE.sub("_", part) for part in (country, subdiv) if part)
        if language is not None:
            name += "@" + _SAFE.sub("_", language)
        path = root / f"{name}.json"
        years = _read(path)
        computed: list[HolidayNames] = []

        def names(day: dt.date) -> list[str]:
            year = str(day.year)
            if year not in years:
                if not computed:
                    computed.append(holiday_names(country, subdiv, language))
                years[year] = _year(computed[0], day.year)
                _write(path, years)
            return list(years[year].get(day.isoformat(), []))

        return names

    return source


def cached_names(folder: Path | None) -> LocalHolidaySource:
    """Holiday names in any language through the cache in `folder` (the patient calendar's
    "Clinic closed: ..." days): a patient calendar then imports the `holidays` package only the
    first time a clinic's year is asked for in a language."""
    sources: dict[str | None, HolidaySource] = {}

    def names(country: str, subdiv: str | None, language: str | None) -> HolidayNames:
        if language not in sources:
            sources[language] = cached_source(folder, language)
        return sources[language](country, subdiv)

    return names


def _year(names: HolidayNames, year: int) -> dict[str, list[str]]:
    day, table = dt.date(year, 1, 1), {}
    while day.year == year:
        found = names(day)
        if found:
            table[day.isoformat()] = list(found)
        day += dt.timedelta(1)
    return table


def _read(path: Path) -> dict[str, dict[str, list[str]]]:
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {
        y: t
        for y, t in data.items()
        if isinstance(t, dict)
        and all(isinstance(v, list) and all(isinstance(n, str) for n in v) for v in t.values())
    }


def _write(path: Path, years: dict[str, dict[str, list[str]]]) -> None:
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(years, fh, sort_keys=True, ensure_ascii=False)
        os.replace(tmp, path)
    except OSError:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
