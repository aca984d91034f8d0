"""The holiday cache: same answers as the holidays package, same plan bytes, never in the way."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from scheduler.calendar import holiday_names
from scheduler.errors import InputError
from scheduler.holiday_cache import cache_dir, cached_source, holidays_version

from ..conftest import EXAMPLES, NOW


def _plan_bytes(run, tmp_path: Path, name: str) -> bytes:  # type: ignore[no-untyped-def]
    out = tmp_path / name
    result = run("plan", str(EXAMPLES / "patient-adult.toml"), "--now", NOW, "--json", str(out), "-q")
    assert result.code == 0, result.err
    return out.read_bytes()


def test_version_is_read_without_importing_holidays() -> None:
    import holidays

    assert holidays_version() == holidays.__version__


def test_cache_dir_follows_the_environment(tmp_path: Path) -> None:
    assert cache_dir({"LMSCHED_CACHE_DIR": str(tmp_path)}) == tmp_path
    assert cache_dir({"LMSCHED_CACHE_DIR": "off"}) is None
    assert cache_dir({"LMSCHED_CACHE_DIR": ""}) is None
    assert cache_dir({"XDG_CACHE_HOME": "/x/cache", "HOME": "/h"}) == Path("/x/cache/lmsched")
    assert cache_dir({}) is None


@pytest.mark.parametrize(("country", "subdiv"), [("US", "NY"), ("GB", "ENG"), ("DE", None), ("NL", None)])
def test_cached_names_equal_the_packages_for_every_day(
    tmp_path: Path, country: str, subdiv: str | None
) -> None:
    direct = holiday_names(country, subdiv)
    cold = cached_source(tmp_path)(country, subdiv)
    warm = cached_source(tmp_path)(country, subdiv)  # reads the file the cold one wrote
    day = dt.date(2026, 1, 1)
    while day < dt.date(2028, 1, 1):
        assert cold(day) == direct(day) == warm(day), day
        day += dt.timedelta(1)
    files = list(tmp_path.rglob("*.json"))
    assert len(files) == 1 and files[0].parent.name == f"holidays-{holidays_version()}"
    assert sorted(json.loads(files[0].read_text())) == ["2026", "2027"]


def test_plan_bytes_are_the_same_cold_warm_corrupt_and_off(run, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    cache = tmp_path / "cache"
    monkeypatch.setenv("LMSCHED_CACHE_DIR", str(cache))
    cold = _plan_bytes(run, tmp_path, "cold.json")
    [stored] = cache.rglob("US-NY.json")
    assert json.loads(stored.read_text())["2026"]["2026-12-25"] == ["Christmas Day"]
    warm = _plan_bytes(run, tmp_path, "warm.json")
    stored.write_text('{"2026": "not a table"')
    corrupt = _plan_bytes(run, tmp_path, "corrupt.json")
    assert json.loads(stored.read_text())["2026"]["2026-12-25"] == ["Christmas Day"]  # rewritten
    monkeypatch.setenv("LMSCHED_CACHE_DIR", "off")
    off = _plan_bytes(run, tmp_path, "off.json")
    assert cold == warm == corrupt == off


def test_a_cache_that_cannot_be_written_is_not_used(run, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("LMSCHED_CACHE_DIR", str(blocker))
    assert _plan_bytes(run, tmp_path, "plan.json")
    assert blocker.read_text() == ""
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_a_poisoned_cache_file_cannot_invent_holidays(tmp_path: Path) -> None:
    """Hand-edited entries of the wrong shape are dropped, not trusted."""
    folder = tmp_path / f"holidays-{holidays_version()}"
    folder.mkdir()
    (folder / "US-NY.json").write_text(json.dumps({"2026": {"2026-12-01": [1, 2]}}))
    names = cached_source(tmp_path)("US", "NY")
    assert names(dt.date(2026, 12, 1)) == []
    assert names(dt.date(2026, 12, 25)) == ["Christmas Day"]


def test_unknown_country_is_still_an_input_error_with_the_cache(tmp_path: Path) -> None:
    names = cached_source(tmp_path)("XX", None)
    with pytest.raises(InputError, match="country"):
        names(dt.date(2026, 12, 1))
    assert not list(tmp_path.rglob("*.json"))
