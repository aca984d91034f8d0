"""Templates are data: every row of the clinical reference is a validated TOML file, and a new
regimen needs a file and no code."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from scheduler.errors import TemplateError
from scheduler.models import Medication, Monitoring, Radiotherapy, Regimen, Systemic
from scheduler.templates import KINDS, Registry, load_registry

from ..conftest import ROOT, make_plan

REFERENCE_REGIMENS = {
    "it-mtx-intensive",
    "it-mtx-10mg-twice-weekly",
    "it-thiotepa",
    "it-trastuzumab",
    "it-liposomal-cytarabine",
}
REFERENCE_RT = {
    "wbrt-30gy-10fx": ("wbrt", 30, 10),
    "wbrt-20gy-5fx": ("wbrt", 20, 5),
    "focal-30gy-10fx": ("focal", 30, 10),
    "focal-36gy-12fx": ("focal", 36, 12),
    "csi-proton-30gy-10fx": ("csi", 30, 10),
    "csi-photon-36gy-20fx": ("csi", 36, 20),
}


def test_every_reference_row_is_a_template(registry: Registry) -> None:
    assert set(registry.ids("regimen")) == REFERENCE_REGIMENS
    assert set(registry.ids("radiotherapy")) == set(REFERENCE_RT)
    assert registry.ids("medication") == ["memantine-wbrt"]
    for tid, (site, gy, fx) in REFERENCE_RT.items():
        rt = registry.radiotherapy(tid)
        assert (rt.site, rt.total_gy, rt.fractions) == (site, gy, fx)


def test_registry_matches_files(registry: Registry) -> None:
    files = {p.stem for folder in KINDS for p in (ROOT / "templates" / folder).glob("*.toml")}
    assert files == set(registry.templates)


def test_readme_lists_every_template(registry: Registry) -> None:
    readme = (ROOT / "README.md").read_text()
    missing = [tid for tid in registry.templates if f"`{tid}`" not in readme]
    assert not missing, f"README does not list {missing}"


def test_every_template_cites_known_sources(registry: Registry) -> None:
    for tpl in registry:
        assert set(tpl.sources) <= set(registry.sources)
        if isinstance(tpl, Monitoring) and tpl.evidence == "convention":
            continue  # a check interval that is a local convention (the blood count cites none)
        assert tpl.sources
        assert tpl.evidence in {"guideline", "trial", "series", "brief", "label"}


def test_intensive_methotrexate_matches_the_reference(registry: Registry) -> None:
    mtx = registry.regimen("it-mtx-intensive")
    assert [(p.name, p.count) for p in mtx.phases] == [
        ("induction", 8),
        ("consolidation", 4),
        ("maintenance", 6),
    ]
    assert mtx.phases[0].offsets == (0, 3) and mtx.phases[0].cycle_days == 7
    assert mtx.phases[2].months == 1 and mtx.phases[2].until_progression
    assert mtx.dose is not None
    assert [(b.from_years, b.mg) for b in mtx.dose.bands] == [(0, 6), (1, 8), (2, 10), (3, 12), (18, 15)]
    assert mtx.formulation == "preservative-free"
    assert set(mtx.routes) == {"ommaya", "lumbar"}


def test_other_regimens_match_the_reference(registry: Registry) -> None:
    assert registry.regimen("it-mtx-10mg-twice-weekly").dose.mg == 10  # type: ignore[union-attr]
    assert registry.regimen("it-mtx-10mg-twice-weekly").phases[0].count == 16
    assert registry.regimen("it-thiotepa").dose.mg == 10  # type: ignore[union-attr]
    tras = registry.regimen("it-trastuzumab")
    assert tras.dose.mg == 80 and tras.routes == ("ommaya",)  # type: ignore[union-attr]
    assert [p.cycle_days for p in tras.phases] == [7, 7, 14]
    assert tras.status == "investigational"
    assert registry.regimen("it-liposomal-cytarabine").status == "withdrawn"


def test_memantine_titration_matches_the_reference(registry: Registry) -> None:
    med = registry.medication_for("wbrt")
    assert isinstance(med, Medication)
    assert [(s.days, s.morning_mg, s.evening_mg) for s in med.steps] == [
        (7, 5, 0),
        (7, 5, 5),
        (7, 10, 5),
        (147, 10, 10),
    ]
    assert sum(s.days for s in med.steps) == 24 * 7
    assert med.renal is not None and med.renal.crcl_below == 30 and med.renal.max_mg_per_dose == 5


def _copy_templates(tmp_path: Path) -> Path:
    target = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", target)
    return target


def test_a_new_regimen_is_a_new_file(tmp_path: Path) -> None:
    extra = tmp_path / "local"
    (extra / "regimens").mkdir(parents=True)
    (extra / "regimens" / "it-mtx-weekly-local.toml").write_text("""
id = "it-mtx-weekly-local"
version = "0.1.0"
kind = "regimen"
title = "Local weekly methotrexate"
evidence = "brief"
status = "off-label"
sources = ["S1"]
drug = "methotrexate"
routes = ["ommaya"]
formulation = "preservative-free"
[dose]
rule = "fixed"
mg = 12
ceiling_from = "it-mtx-intensive"
sources = ["S1"]
[[phases]]
name = "weekly"
count = 5
cycle_days = 7
min_days = 6
""")
    registry = load_registry([ROOT / "templates", extra])
    plan = make_plan(registry, regimen="it-mtx-weekly-local")
    doses = [e for e in plan.events if e.kind == "it-dose"]
    assert [e.date.isoformat() for e in doses] == [
        "2026-12-01",
        "2026-12-08",
        "2026-12-15",
        "2026-12-22",
        "2026-12-29",
    ]
    assert {e.dose_mg for e in doses} == {12}
    assert sum(e.course == "mon-blood-count-it" for e in plan.events) == 5  # its checks come with it


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda s: s.replace('evidence = "brief"', 'evidence = "anecdote"'), "evidence"),
        (lambda s: s.replace('sources = ["S1", "S2", "S3", "S4", "S5"]', 'sources = ["S99"]'), "S99"),
        (lambda s: s.replace("min_days = 3", "min_days = 5"), "min_days"),
        (lambda s: s.replace("offsets = [0, 3]", "offsets = [3, 0]"), "offsets"),
        (lambda s: s.replace("months = 1", "months = 1\ncycle_days = 7"), "exactly one"),
        (lambda s: s + "\nsurprise = 1\n", "surprise"),
        (lambda s: s.replace('id = "it-mtx-intensive"', 'id = "other-id"'), "file name"),
        (lambda s: s.replace("[dose]", "[dose\n"), "TOML"),
    ],
    ids=[
        "evidence",
        "unknown-source",
        "min-days-too-big",
        "offsets-order",
        "cycle-and-months",
        "unknown-key",
        "id-mismatch",
        "bad-toml",
    ],
)
def test_malformed_templates_are_refused(tmp_path: Path, edit, message: str) -> None:  # type: ignore[no-untyped-def]
    base = _copy_templates(tmp_path)
    path = base / "regimens" / "it-mtx-intensive.toml"
    path.write_text(edit(path.read_text()))
    with pytest.raises(TemplateError, match=re.escape(message)):
        load_registry([base])


def test_template_kinds_are_typed(registry: Registry) -> None:
    for tpl in registry:
        assert isinstance(tpl, Regimen | Radiotherapy | Medication | Systemic | Monitoring)


def test_sources_are_worded_for_users(registry: Registry) -> None:
    """S1 is the "requested protocol (guideline summary; confirm locally)", never a seed file or
    an AI-written text, in every citation and template text users see (`lmsched templates`)."""
    assert registry.sources["S1"].startswith("Requested protocol (guideline summary; confirm locally)")
    texts = [*registry.sources.values(), *(f"{t.title} {t.summary}" for t in registry)]
    for text in texts:
        assert not re.search(r"\bseed\b|AI[- ]written|\bAI\b", text), text
