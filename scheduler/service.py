"""The use cases: what every front end (the CLI, later the web) asks lmsched to do.

Each takes typed values (no click, no terminal), does the I/O at the edges (input files, the
holiday cache, the clock when `now` is not given, the atomic writer, the calendar server) around
the pure core, and returns a result object saying what was planned, what blocks and what was
written. Nothing is written when anything is refused or blocked. Errors are `SchedulerError`s,
which the front end presents in its one place.

The pipeline inputs -> clinic calendar -> plan -> safety rules is written once, in `checked_plan`;
`make_plan`, `revise_plan` and each row of a batch go through it.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import InputError
from .models import Audience, Paper, PlanRequest, check_line
from .plan import Finding, Plan

if TYPE_CHECKING:
    from .batch import BatchReport, Progress
    from .calendar import ClinicCalendar
    from .diff import Difference
    from .export.ics import Alarm
    from .models import Clinic, Template
    from .publish import PublishReport
    from .reconcile import Report
    from .reschedule import Delay, Hold, Stop
    from .rules import CheckResult, OverrideRequest, Policy, Rule
    from .templates import Registry

__all__ = [
    "Outputs",
    "PlanResult",
    "ReconcileResult",
    "check_plan_file",
    "checked_plan",
    "clinic_calendar",
    "diff_files",
    "export_plan",
    "list_rules",
    "list_templates",
    "load_saved",
    "make_plan",
    "overrides_from",
    "publish_plan",
    "reconcile_given",
    "revise_plan",
    "run_batch",
    "template_lines",
    "write_outputs",
]


@dataclass(frozen=True)
class Outputs:
    """The files a use case is asked to write (format name -> path), and how."""

    targets: Mapping[str, Path] = field(default_factory=dict)
    audience: Audience = "patient"
    alarms: tuple[Alarm, ...] | None = None  # None: the default reminders
    paper: Paper = "letter"

    def render(self, plan: Plan) -> dict[Path, bytes]:
        from .export.ics import DEFAULT_ALARMS
        from .export.outputs import renderers

        render = renderers(self.audience, DEFAULT_ALARMS if self.alarms is None else self.alarms, self.paper)
        return {path: render[name](plan) for name, path in self.targets.items()}


@dataclass(frozen=True)
class PlanResult:
    """A plan made or revised: the checked plan, what blocks it, and what was written (nothing
    when anything blocks). `refusal()` is the error to raise when it is blocked."""

    plan: Plan
    blocking: tuple[Finding, ...] = ()
    unused_overrides: tuple[str, ...] = ()  # overrides that lifted nothing (not recorded)
    expired_overrides: tuple[str, ...] = ()  # carried from the parent, no longer needed
    written: tuple[Path, ...] = ()

    def refusal(self, done: str = "written") -> Exception | None:
        from .rules import refusal

        return refusal(self.blocking, done) if self.blocking else None


def overrides_from(
    rules: Sequence[str], reasons: Sequence[str], field: str = "reason"
) -> list[OverrideRequest]:
    """Each overridden rule with its reason, given as two lists in the same order (`field`: what
    the front end calls the reasons)."""
    from .rules import OverrideRequest

    if len(rules) != len(reasons):
        raise InputError(
            f"{len(rules)} override(s), {len(reasons)} reason(s)",
            field=field,
            hint="give one {override_reasons} for each {overrides}",
        )
    return [OverrideRequest(rule, reason) for rule, reason in zip(rules, reasons, strict=True)]


# --- the one pipeline -------------------------------------------------------------------------------


def _registry() -> Registry:
    from .templates import load_registry

    return load_registry()


def clinic_calendar(clinic: Clinic, cache: Path | None) -> ClinicCalendar:
    """The clinic's calendar, its public holidays read through the holiday cache in `cache`."""
    from .calendar import build_calendar
    from .holiday_cache import cached_source

    return build_calendar(clinic, cached_source(cache))


def _calendar(clinic: Clinic) -> ClinicCalendar:
    from .holiday_cache import cache_dir

    return clinic_calendar(clinic, cache_dir(os.environ))


def _policy(path: Path | None) -> Policy | None:
    from .rules.policy import load_policy

    return load_policy(path) if path is not None else None


def checked_plan(
    request: PlanRequest,
    now: dt.datetime,
    *,
    policy: Policy | None = None,
    overrides: Sequence[OverrideRequest] = (),
    by: str | None = None,
    registry: Registry | None = None,
    calendar: ClinicCalendar | None = None,
) -> CheckResult:
    """Inputs -> clinic calendar -> plan -> safety rules."""
    from .rules import check_plan
    from .schedule import build_plan

    plan = build_plan(request, registry or _registry(), now, calendar or _calendar(request.clinic))
    return check_plan(plan, policy, overrides, by=by, at=now)


def write_outputs(result: CheckResult, outputs: Outputs | None) -> tuple[Path, ...]:
    """Render and write the outputs of a checked plan, unless it is blocked."""
    from .writer import write_all

    if result.blocking or outputs is None or not outputs.targets:
        return ()
    rendered = outputs.render(result.plan)
    write_all(rendered)
    return tuple(rendered)


def _now(given: str | None, tz: str) -> dt.datetime:
    from .inputs import resolve_now

    return resolve_now(given, tz)


# --- plan, check, export ----------------------------------------------------------------------------


def make_plan(
    fields: Mapping[str, Any],
    patient_file: Path | None = None,
    *,
    overrides: Sequence[OverrideRequest] = (),
    by: str | None = None,
    policy: Path | None = None,
    now: str | None = None,
    outputs: Outputs | None = None,
) -> PlanResult:
    """Expand a patient's treatment onto the clinic calendar, check it and write the outputs.

    `fields` are the patient-file keys given directly (they override the file). Output paths are
    checked once the inputs are read (so the clinic file named in the patient file is protected
    too) and before any plan is computed."""
    from .inputs import build_request
    from .writer import check_targets

    request, files = build_request(fields, patient_file)
    check_targets((outputs or Outputs()).targets, [*files, *([policy] if policy else [])])
    moment = _now(now, request.clinic.tz)
    result = checked_plan(request, moment, policy=_policy(policy), overrides=overrides, by=by)
    return PlanResult(
        result.plan, result.blocking, result.unused_overrides, written=write_outputs(result, outputs)
    )


def load_saved(path: Path, accept_edited: bool = False, field: str = "PLAN") -> Plan:
    """A plan lmsched wrote earlier. A hand-edited one is refused unless `accept_edited`; its
    findings then describe what it said before the edit, so the rules run again on what it says
    now, keeping the overrides it records."""
    from .planfile import load_plan
    from .rules import check_plan

    plan = load_plan(path, field=field, accept_edited=accept_edited)
    if plan.edited:
        plan = check_plan(plan.model_copy(update={"findings": ()}), carried=plan.overrides).plan
    return plan


def _refuse_blocked(plan: Plan, done: str) -> None:
    """A saved plan with an unlifted block or stop finding is never exported or published."""
    from .rules import blocking, refusal

    blockers = blocking(plan.findings)
    if blockers:
        raise refusal(blockers, done)


def export_plan(path: Path, outputs: Outputs, accept_edited: bool = False) -> PlanResult:
    """Write outputs from a saved plan, exactly as planned (nothing is re-expanded)."""
    from .export.formats import FORMATS
    from .writer import check_targets, write_all

    if not outputs.targets:
        raise InputError(
            "give at least one output", field="output", options=[f"{{{f.name}}}" for f in FORMATS]
        )
    check_targets(outputs.targets, [path])
    plan = load_saved(path, accept_edited)
    _refuse_blocked(plan, "written")
    rendered = outputs.render(plan)
    write_all(rendered)
    return PlanResult(plan, written=tuple(rendered))


def check_plan_file(path: Path) -> Plan:
    """A saved plan to publish: never an edited one, never a blocked one."""
    plan = load_saved(path)
    _refuse_blocked(plan, "published")
    return plan


# --- revise -----------------------------------------------------------------------------------------


def revise_plan(
    path: Path,
    action: Delay | Hold | Stop,
    *,
    overrides: Sequence[OverrideRequest] = (),
    by: str | None = None,
    policy: Path | None = None,
    now: str | None = None,
    outputs: Outputs | None = None,
    accept_edited: bool = False,
) -> PlanResult:
    """The next revision of a saved plan after `action`, checked again: a stop finding the parent
    overrode stays overridden; a new one needs an override. A plan that was checked with a site
    policy needs it again."""
    from .reschedule import reschedule
    from .rules import check_plan
    from .writer import check_targets

    if by is not None:
        try:
            check_line(by)
        except ValueError as exc:
            raise InputError(str(exc), field="decided-by") from None
    check_targets((outputs or Outputs()).targets, [path, *([policy] if policy else [])])
    parent = load_saved(path, accept_edited)
    site_policy = _policy(policy)
    if parent.policy is not None and site_policy is None:
        raise InputError(
            f"the plan was checked with site policy '{parent.policy.name}'",
            field="policy",
            hint="give it again with {policy} FILE",
        )
    moment = _now(now, parent.inputs.clinic.tz)
    revised = reschedule(parent, action, _registry(), _calendar(parent.inputs.clinic), moment, by=by)
    result = check_plan(revised, site_policy, overrides, by=by, at=moment, carried=parent.overrides)
    return PlanResult(
        result.plan,
        result.blocking,
        result.unused_overrides,
        result.expired_overrides,
        written=write_outputs(result, outputs),
    )


def diff_files(old: Path, new: Path, accept_edited: bool = False) -> tuple[Plan, Plan, list[Difference]]:
    """Two revisions of one patient's plan and what changed between them."""
    from .diff import diff_plans
    from .plan import identity

    before = load_saved(old, accept_edited, field="OLD")
    after = load_saved(new, accept_edited, field="NEW")
    if identity(before.inputs) != identity(after.inputs):
        raise InputError(f"{old} and {new} are plans for different patients", field="NEW")
    return before, after, diff_plans(before, after)


# --- reconcile --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReconcileResult:
    report: Report
    written: tuple[Path, ...]


def reconcile_given(
    path: Path,
    given: Path,
    *,
    window: int = 2,
    as_of: dt.date | None = None,
    targets: Mapping[str, Path] | None = None,
    accept_edited: bool = False,
) -> ReconcileResult:
    """The doses given (a CSV record) against the planned IT doses; `targets`: csv and json
    reports. `as_of` defaults to today in the clinic's zone."""
    from zoneinfo import ZoneInfo

    from .export.reconcile import render_csv, render_json
    from .inputs import read_input
    from .reconcile import parse_given, reconcile
    from .writer import check_targets, write_all

    targets = dict(targets or {})
    check_targets(targets, [path, given])
    plan = load_saved(path, accept_edited)
    records = parse_given(read_input(given, "GIVEN", "CSV file"), source=str(given))
    tz = plan.inputs.clinic.tz
    day = as_of or _now(None, tz).astimezone(ZoneInfo(tz)).date()
    report = reconcile(plan, records, window, as_of=day)
    render = {"csv": render_csv, "json": render_json}
    rendered = {target: render[name](report) for name, target in targets.items()}
    write_all(rendered)
    return ReconcileResult(report, tuple(rendered))


# --- publish ----------------------------------------------------------------------------------------


def publish_plan(
    path: Path,
    url: str,
    *,
    calendar: str | None = None,
    create: bool = False,
    username: str | None = None,
    password: Callable[[], str | None] = lambda: None,
    timeout: float = 30.0,
    audience: Audience = "patient",
    alarms: Sequence[Alarm] | None = None,
) -> tuple[Plan, PublishReport]:
    """Put a saved plan's events on a CalDAV calendar; publishing again updates it in place.

    The address and the plan are checked before `password` is asked for (a front end's prompt)."""
    from .export.ics import DEFAULT_ALARMS
    from .publish import Connection, publish

    Connection(url)
    plan = check_plan_file(path)
    connection = Connection(url, calendar, create, username, password(), timeout)
    return plan, publish(plan, connection, audience, DEFAULT_ALARMS if alarms is None else alarms)


# --- batch ------------------------------------------------------------------------------------------


def run_batch(
    patients: Path,
    out: Path,
    *,
    clinic: Path | None = None,
    formats: Sequence[str] = ("json", "ics", "pdf"),
    audience: Audience = "patient",
    jobs: int | None = None,
    chairs: int | None = None,
    paper: Paper = "letter",
    now: str | None = None,
    progress: Progress | None = None,
) -> BatchReport:
    """Plan every patient of a spreadsheet (or folder of patient files) into DIR/<patient>/, and
    the centre's agenda. Everything the whole batch depends on is checked before any row runs."""
    from . import batch
    from .export.formats import check_formats
    from .holiday_cache import cache_dir
    from .inputs import read_clinic, resolve_now

    wanted = check_formats(formats)
    if out.exists() and not out.is_dir():
        raise InputError(f"'{out}' is a file; give a folder", field="out")
    if now:
        resolve_now(now, "UTC")  # refused here, before any work, when it is not a date-time
    for given, what in ((patients, "PATIENTS"), (clinic, "clinic")):
        if given is not None and given.resolve() in {(out / name).resolve() for name in batch.RESERVED}:
            raise InputError(f"'{given}' would be overwritten by the batch's own {given.name}", field=what)
    centre = read_clinic(clinic) if clinic else None
    rows = list(batch.prepare_rows(batch.read_rows(patients)))
    job = batch.Job(
        out=out,
        clinic=clinic,
        formats=wanted,
        audience=audience,
        now=now,
        clock=dt.datetime.now(dt.UTC).replace(microsecond=0),
        paper=paper,
        cache=cache_dir(os.environ),
    )
    out.mkdir(parents=True, exist_ok=True)
    return batch.run_batch(rows, job, jobs or batch.default_jobs(), centre, chairs, progress)


# --- the catalogue ----------------------------------------------------------------------------------


def list_rules() -> list[Rule]:
    """Every safety rule, most severe first."""
    from .rules import RULES, SEVERITIES, load_families

    load_families()
    return sorted(RULES.values(), key=lambda r: SEVERITIES.index(r.severity))


def list_templates() -> list[Template]:
    return list(_registry())


def template_lines(template_id: str) -> Iterator[str]:
    """One template as text: schedule, dose rule, evidence and sources."""
    from .errors import TemplateError
    from .export.template_text import describe

    registry = _registry()
    if template_id not in registry.templates:
        raise TemplateError(f"unknown template '{template_id}'", field="ID", choices=registry.ids())
    return describe(registry.templates[template_id], registry.sources)
