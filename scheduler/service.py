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

from .errors import InputError, WriteError
from .models import Audience, Paper, PlanRequest, check_line
from .plan import Finding, Plan

if TYPE_CHECKING:
    from typing import TypeAlias

    from .batch import BatchReport, Progress
    from .calendar import ClinicCalendar, LocalHolidaySource
    from .diff import Difference
    from .export.ics import Alarm
    from .export.pdf.fonts import Fonts
    from .i18n import Language
    from .models import Clinic, Template
    from .publish import PublishReport
    from .reconcile import Report
    from .records import InWorkspace
    from .reschedule import AnyAction
    from .rules import CheckResult, OverrideRequest, Policy, Rule
    from .sitekey import SiteKey
    from .templates import Registry

    PlanSource: TypeAlias = Path | InWorkspace  # a plan file, or a patient's plan in the workspace

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
    "patient_key",
    "publish_plan",
    "reconcile_given",
    "revise_plan",
    "run_batch",
    "site_key",
    "template_lines",
    "write_outputs",
]


@dataclass(frozen=True)
class Outputs:
    """The files a use case is asked to write (format name -> path), and how.

    A patient calendar (ics, audience patient) is keyed with the site key: `site_key` (a front
    end's --site-key FILE), else the clinic's `site_key`, else `key` (already resolved: a batch
    resolves it once for every row), else LMSCHED_SITE_KEY_FILE, else the user's default key,
    created on first use; `notice` is told, in one line, when that happens. No key is read when
    no patient calendar is written."""

    targets: Mapping[str, Path] = field(default_factory=dict)
    audience: Audience = "patient"
    alarms: tuple[Alarm, ...] | None = None  # None: the default reminders
    paper: Paper = "letter"
    site_key: Path | None = None
    key: bytes | None = field(default=None, repr=False)
    notice: Callable[[str], None] | None = field(default=None, compare=False)
    within: Path | None = None  # a folder no target's real path may leave (a batch's DIR)
    # The patient's outputs (issue 18): `lang` overrides the plan's language for this run (None:
    # the plan's own); an unreviewed catalog only with `allow_unreviewed`; `large_print` for the
    # patient calendar; `fonts` TrueType fallback fonts added to the clinic file's (--font);
    # `allow_missing_glyphs` prints a character no font has as the font's missing-glyph box.
    lang: str | None = None
    allow_unreviewed: bool = False
    large_print: bool = False
    fonts: tuple[Path, ...] = ()
    allow_missing_glyphs: bool = False
    # Formats the caller has already rendered from the same plan (format name -> bytes): a
    # batch's staff calendar, built with clinic.ics's VEVENTs (ics.render_with_vevents).
    rendered: Mapping[str, bytes] = field(default_factory=dict, repr=False, compare=False)

    @property
    def needs_key(self) -> bool:
        """Whether these outputs include a patient calendar (the only output keyed by the site key)."""
        return self.audience == "patient" and "ics" in self.targets

    @property
    def for_patient(self) -> bool:
        """Whether any output is read by the patient (calendar PDF or patient ICS)."""
        return self.audience == "patient" and bool({"ics", "pdf"} & set(self.targets))

    def language(self, plan: Plan) -> Language:
        """The patient's language for this run: --lang, else the plan's; English for staff outputs."""
        from .catalogs import load_language
        from .i18n import ENGLISH

        if not self.for_patient:
            return ENGLISH
        code = self.lang or plan.inputs.language
        return load_language(code, self.allow_unreviewed, "lang" if self.lang else "language")

    def printing(self, plan: Plan) -> Fonts:
        """The PDFs' fonts: the clinic file's fallback fonts, then --font's."""
        from .export.pdf.fonts import Fonts

        paths = (*plan.inputs.clinic.fonts, *(str(p) for p in self.fonts))
        return Fonts(fallbacks=tuple(dict.fromkeys(paths)), allow_missing=self.allow_missing_glyphs)

    def render(self, plan: Plan) -> dict[Path, bytes]:
        from .export.ics import DEFAULT_ALARMS
        from .export.outputs import renderers

        language = self.language(plan)
        key = None
        if self.needs_key:
            key = site_key(
                plan.inputs.clinic,
                explicit=self.site_key,
                fallback=self.key,
                notice=self.notice,
                protect=self.targets,
            )
        alarms = DEFAULT_ALARMS if self.alarms is None else self.alarms
        pdfs = {"pdf", "staff-pdf"} & set(self.targets)
        render = renderers(
            self.audience,
            alarms,
            self.paper,
            key=key,
            lang=language,
            large_print=self.large_print,
            fonts=self.printing(plan) if pdfs else None,
            holidays=_cached_holidays() if "pdf" in self.targets and self.audience == "patient" else None,
        )
        return {
            path: self.rendered[name] if name in self.rendered else render[name](plan)
            for name, path in self.targets.items()
        }


def site_key(
    clinic: Clinic | None = None,
    *,
    explicit: Path | None = None,
    fallback: bytes | None = None,
    notice: Callable[[str], None] | None = None,
    protect: Mapping[str, Path] | None = None,
) -> bytes:
    """The site key that keys patient calendars (`scheduler.sitekey`): `explicit` (a front end's
    option), else the clinic's `site_key` file, else `fallback` (a key resolved earlier in the same
    run), else LMSCHED_SITE_KEY_FILE, else the user's default key file, created on first use (then
    `notice` gets the one line that says where and what to do with it). An output of `protect`
    (format name -> path) that would overwrite the key file is refused: a lost key duplicates
    every patient's events."""
    from .sitekey import key_id, resolve

    clinic_file = Path(clinic.site_key) if clinic is not None and clinic.site_key else None
    recorded = clinic.site_key_id if clinic is not None else None
    if explicit is None and clinic_file is None and fallback is not None:
        if recorded is not None and key_id(fallback) != recorded:
            raise _other_key(recorded, None)
        return fallback
    # a plan that records its clinic's key never gets a new default key made for it
    try:
        found = resolve(explicit=explicit, clinic=clinic_file, environ=os.environ, create=recorded is None)
    except InputError as exc:
        if recorded is None or explicit is not None or clinic_file is not None:
            raise
        raise _other_key(recorded, None, f"no key here ({exc.detail})") from None
    if recorded is not None and key_id(found.key) != recorded:
        raise _other_key(recorded, found.path)
    for name, target in (protect or {}).items():
        if target.resolve() == found.path.resolve():
            raise InputError(f"'{target}' is the site key file; choose another output path", field=name)
    if notice is not None:
        if found.created:
            notice(found.notice())
        elif explicit is None and clinic_file is not None:
            _saved_plans_differ(found, notice)
    return found.key


def _other_key(recorded: str, path: Path | None, found: str | None = None) -> InputError:
    """A saved plan made with its clinic file's site key, and another key (or none) found now: its
    patient calendar would get other UIDs, and every event would show twice."""
    if found is None:
        found = f"{path} holds another key" if path is not None else "the key given holds another"
    return InputError(
        f"this plan's patient calendars are keyed with the site key its clinic file named "
        f"(key id {recorded}); {found}",
        field="site_key",
        hint="give that key file with {site_key} or set LMSCHED_SITE_KEY_FILE to it",
    )


def _saved_plans_differ(found: SiteKey, notice: Callable[[str], None]) -> None:
    """A key named only by the clinic file: the commands that start from a saved plan (export,
    reschedule, publish) do not read the clinic file (a plan records its settings and which key,
    not its files), so unless LMSCHED_SITE_KEY_FILE holds the same key they refuse to make its
    patient calendar (`_other_key`). Said once per run, in one line."""
    from .errors import SchedulerError
    from .sitekey import ENV, read_key

    named = os.environ.get(ENV, "")
    if named:
        try:
            if read_key(Path(named), ENV).key == found.key:
                return
        except SchedulerError:
            pass
    notice(
        f"lmsched: note: the clinic file's site key {found.path} is not in {ENV}; export, reschedule "
        f"and publish of this plan read the key from there (or --site-key), not from the clinic "
        f"file, and refuse another key: set {ENV}={found.path} for every scheduler of the site"
    )


def patient_key(
    audience: Audience,
    clinic: Clinic | None = None,
    *,
    explicit: Path | None = None,
    notice: Callable[[str], None] | None = None,
) -> bytes | None:
    """The site key when `audience` is the patient (for publishing and other patient-facing
    calendars), None for staff calendars, which are not keyed."""
    if audience != "patient":
        return None
    return site_key(clinic, explicit=explicit, notice=notice)


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
    rules: Sequence[str], reasons: Sequence[str], field: str = "override-reason"
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


def _cached_holidays() -> LocalHolidaySource:
    """Holiday names in any language through the holiday cache (the patient calendar's closed days)."""
    from .holiday_cache import cache_dir, cached_names

    return cached_names(cache_dir(os.environ))


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
    decided_by: str | None = None,
    registry: Registry | None = None,
    calendar: ClinicCalendar | None = None,
) -> CheckResult:
    """Inputs -> clinic calendar -> plan -> safety rules."""
    from .rules import check_plan
    from .schedule import build_plan

    plan = build_plan(request, registry or _registry(), now, calendar or _calendar(request.clinic))
    return check_plan(plan, policy, overrides, by=decided_by, at=now)


def write_outputs(result: CheckResult, outputs: Outputs | None) -> tuple[Path, ...]:
    """Render and write the outputs of a checked plan, unless it is blocked."""
    from .writer import write_all

    if result.blocking or outputs is None or not outputs.targets:
        return ()
    rendered = outputs.render(result.plan)
    write_all(rendered, within=outputs.within)
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
    decided_by: str | None = None,
    policy: Path | None = None,
    now: str | None = None,
    outputs: Outputs | None = None,
    save: Path | None = None,
) -> PlanResult:
    """Expand a patient's treatment onto the clinic calendar, check it and write the outputs.

    `fields` are the patient-file keys given directly (they override the file). Output paths are
    checked once the inputs are read (so the clinic file named in the patient file is protected
    too) and before any plan is computed. `save`: the workspace to store the plan in, as the
    patient's first plan (before any file is written, so a conflict writes nothing)."""
    from .inputs import build_request
    from .writer import check_targets

    request, files = build_request(fields, patient_file)
    check_targets((outputs or Outputs()).targets, [*files, *([policy] if policy else [])])
    workspace = None
    if save is not None:
        from .records import open_workspace

        if not request.patient_id:
            raise InputError("a plan saved in a workspace needs a patient id", field="patient_id")
        workspace = open_workspace(save)
    try:
        moment = _now(now, request.clinic.tz)
        result = checked_plan(
            request, moment, policy=_policy(policy), overrides=overrides, decided_by=decided_by
        )
        if workspace is not None and not result.blocking:
            from .records import keyed_outputs, save_plan

            outputs = keyed_outputs(workspace, outputs or Outputs(), request.clinic)
            save_plan(
                workspace, result.plan, action="plan", parent=None, by=decided_by, reason=None, now=moment
            )
        written = write_outputs(result, outputs)
    finally:
        if workspace is not None:
            workspace.close()
    return PlanResult(result.plan, result.blocking, result.unused_overrides, written=written)


def load_saved(path: PlanSource, accept_edited: bool = False, field: str = "PLAN") -> Plan:
    """A plan lmsched wrote earlier: a plan file, or a patient's plan in the workspace
    (`records.InWorkspace`, checked against its fingerprint). A hand-edited file is refused unless
    `accept_edited`; its findings then describe what it said before the edit, so the rules run
    again on what it says now, keeping the overrides it records."""
    from .planfile import load_plan
    from .rules import check_plan

    if not isinstance(path, Path):
        from .records import load_current

        return load_current(path)

    plan = load_plan(path, field=field, accept_edited=accept_edited)
    if plan.edited:
        plan = check_plan(plan.model_copy(update={"findings": ()}), carried=plan.overrides).plan
    _warn_zone(path, plan)
    return plan


def _read(source: PlanSource) -> list[Path]:
    """The files a run reads for `source` (no output may replace them): the plan file, or the
    workspace."""
    return [source] if isinstance(source, Path) else [source.workspace]


def _keyed(source: PlanSource, outputs: Outputs, plan: Plan) -> Outputs:
    """A patient calendar of a plan in the workspace is keyed with the workspace's site key."""
    if isinstance(source, Path) or not outputs.needs_key:
        return outputs
    from .records import keyed_outputs, open_workspace

    with open_workspace(source.workspace) as workspace:
        return keyed_outputs(workspace, outputs, plan.inputs.clinic)


def _warn_zone(path: PlanSource, plan: Plan) -> None:
    """A saved plan in a fixed-offset or legacy zone (`EST`) still loads and exports exactly as
    saved; the front end shows this warning (a ZoneWarning) so the user can make it again."""
    import warnings

    from .zones import ZoneWarning, zone_problem

    problem = zone_problem(plan.inputs.clinic.tz)
    if problem is not None:
        warnings.warn(
            ZoneWarning(f"{path}: tz: {problem} (the plan is used as saved; make it again to change it)"),
            stacklevel=3,
        )


def _refuse_blocked(plan: Plan, done: str) -> None:
    """A saved plan with an unlifted block or stop finding is never exported or published."""
    from .rules import blocking, refusal

    blockers = blocking(plan.findings)
    if blockers:
        raise refusal(blockers, done)


def export_plan(path: PlanSource, outputs: Outputs, accept_edited: bool = False) -> PlanResult:
    """Write outputs from a saved plan, exactly as planned (nothing is re-expanded)."""
    from .export.formats import FORMATS
    from .writer import check_targets, write_all

    if not outputs.targets:
        raise InputError(
            "give at least one output", field="output", options=[f"{{{f.name}}}" for f in FORMATS]
        )
    check_targets(outputs.targets, _read(path))
    plan = load_saved(path, accept_edited)
    _refuse_blocked(plan, "written")
    rendered = _keyed(path, outputs, plan).render(plan)
    write_all(rendered)
    return PlanResult(plan, written=tuple(rendered))


def check_plan_file(path: PlanSource) -> Plan:
    """A saved plan to publish: never an edited one, never a blocked one."""
    plan = load_saved(path)
    _refuse_blocked(plan, "published")
    return plan


# --- revise -----------------------------------------------------------------------------------------


def revise_plan(
    path: PlanSource,
    action: AnyAction,
    *,
    overrides: Sequence[OverrideRequest] = (),
    decided_by: str | None = None,
    policy: Path | None = None,
    now: str | None = None,
    outputs: Outputs | None = None,
    accept_edited: bool = False,
    save: Path | None = None,
) -> PlanResult:
    """The next revision of a saved plan after `action`, checked again: a stop finding the parent
    overrode stays overridden; a new one needs an override. A plan that was checked with a site
    policy needs it again. `save`: the workspace to store the revision in, only while the plan it
    was made from is still the patient's current one (else ConflictError), before any file is
    written."""
    from .reschedule import reschedule
    from .rules import check_plan
    from .writer import check_targets

    if decided_by is not None:
        try:
            check_line(decided_by)
        except ValueError as exc:
            raise InputError(str(exc), field="decided_by") from None
    check_targets(
        (outputs or Outputs()).targets,
        [*_read(path), *([save] if save else []), *([policy] if policy else [])],
    )
    if save is not None and accept_edited:
        raise InputError("an edited plan is never saved in a workspace", field="accept_edited")
    parent = load_saved(path, accept_edited)
    site_policy = _policy(policy)
    if parent.policy is not None and site_policy is None:
        raise InputError(
            f"the plan was checked with site policy '{parent.policy.name}'",
            field="policy",
            hint="give it again with {policy} FILE",
        )
    moment = _now(now, parent.inputs.clinic.tz)
    revised = reschedule(parent, action, _registry(), _calendar(parent.inputs.clinic), moment, by=decided_by)
    result = check_plan(revised, site_policy, overrides, by=decided_by, at=moment, carried=parent.overrides)
    outputs = outputs or Outputs()
    if save is not None and not result.blocking:  # keyed with the workspace it is saved in
        from .records import keyed_outputs, open_workspace, save_revision

        with open_workspace(save) as workspace:
            outputs = keyed_outputs(workspace, outputs, result.plan.inputs.clinic)
            save_revision(workspace, result.plan, parent=parent, by=decided_by, now=moment)
    else:
        outputs = _keyed(path, outputs, result.plan)
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
    path: PlanSource,
    given: Path,
    *,
    window: int = 2,
    as_of: dt.date | None = None,
    targets: Mapping[str, Path] | None = None,
    accept_edited: bool = False,
    save: bool = False,
    decided_by: str | None = None,
    now: str | None = None,
) -> ReconcileResult:
    """The doses given (a CSV record) against the planned IT doses; `targets`: csv and json
    reports. `as_of` defaults to today in the clinic's zone. `save` (a patient's plan in the
    workspace): keep the records with the patient, then reconcile every record kept against the
    current plan."""
    from zoneinfo import ZoneInfo

    from .export.reconcile import render_csv, render_json
    from .inputs import read_input
    from .reconcile import parse_given, reconcile
    from .writer import check_targets, write_all

    targets = dict(targets or {})
    check_targets(targets, [*_read(path), given])
    if save and isinstance(path, Path):
        raise InputError(
            "--save keeps the records with a patient in the workspace",
            field="save",
            hint="name the patient by id, with {workspace} PATH or LMSCHED_WORKSPACE",
        )
    plan = load_saved(path, accept_edited)
    records = parse_given(read_input(given, "GIVEN", "CSV file"), source=str(given))
    tz = plan.inputs.clinic.tz
    if save and not isinstance(path, Path):
        from .records import keep_given

        plan, records, _added = keep_given(
            path.workspace, path.patient_id, records, source=given.name, by=decided_by, now=_now(now, tz)
        )
    day = as_of or _now(now, tz).astimezone(ZoneInfo(tz)).date()
    report = reconcile(plan, records, window, as_of=day)
    render = {"csv": render_csv, "json": render_json}
    rendered = {target: render[name](report) for name, target in targets.items()}
    write_all(rendered)
    return ReconcileResult(report, tuple(rendered))


# --- publish ----------------------------------------------------------------------------------------


def publish_plan(
    path: PlanSource,
    url: str,
    *,
    calendar: str | None = None,
    create: bool = False,
    username: str | None = None,
    password: Callable[[], str | None] = lambda: None,
    timeout: float = 30.0,
    audience: Audience = "patient",
    alarms: Sequence[Alarm] | None = None,
    allow_older: bool = False,
    key: bytes | None = None,
    site_key_file: Path | None = None,
    notice: Callable[[str], None] | None = None,
    lang: str | None = None,
    allow_unreviewed: bool = False,
) -> tuple[Plan, PublishReport]:
    """Put a saved plan's events on a CalDAV calendar; publishing again updates it in place.

    `timeout` is a deadline for the whole publish. An older revision (or another branch) than the
    calendar's is refused unless `allow_older`. A patient calendar is keyed with the site key:
    `key` when given, else as `patient_key` finds it (`site_key_file`, the plan's clinic, the
    environment, the user's default; `notice` hears when one is created). The address, the plan
    and the key are checked before `password` is asked for (a front end's prompt)."""
    from .export.ics import DEFAULT_ALARMS
    from .publish import Connection, publish

    Connection(url)
    plan = check_plan_file(path)
    if key is None and audience == "patient" and not isinstance(path, Path):
        keyed = _keyed(path, Outputs({"ics": path.workspace}, site_key=site_key_file), plan)
        key = keyed.key
        site_key_file = keyed.site_key
    if key is None:
        key = patient_key(audience, plan.inputs.clinic, explicit=site_key_file, notice=notice)
    language = Outputs(
        {"ics": Path("calendar.ics")}, audience, lang=lang, allow_unreviewed=allow_unreviewed
    ).language(plan)
    connection = Connection(url, calendar, create, username, password(), timeout, allow_older)
    chosen = DEFAULT_ALARMS if alarms is None else alarms
    return plan, publish(plan, connection, audience, chosen, key=key, lang=language)


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
    site_key_file: Path | None = None,
    notice: Callable[[str], None] | None = None,
    allow_unreviewed: bool = False,
    large_print: bool = False,
    fonts: tuple[Path, ...] = (),
    allow_missing_glyphs: bool = False,
    save: Path | None = None,
    decided_by: str | None = None,
) -> BatchReport:
    """Plan every patient of a spreadsheet (or folder of patient files) into DIR/<patient>/, and
    the centre's agenda. Everything the whole batch depends on is checked before any row runs,
    the site key too (read or created once, here, when the rows get patient calendars)."""
    from . import batch
    from .export.formats import check_formats
    from .holiday_cache import cache_dir
    from .inputs import read_clinic, resolve_now
    from .writer import check_folder, check_targets, check_tree

    wanted = check_formats(formats)
    check_folder(out, "out")
    if now:
        resolve_now(now, "UTC")  # refused here, before any work, when it is not a date-time
    centre = read_clinic(clinic) if clinic else None
    rows = batch.PatientRows(patients)  # read once, parsed again for each pass
    # no input (the spreadsheet, a patient file, a clinic file) is a file the batch will write,
    # and no patient folder is a planted symbolic link: checked before anything is written
    inputs: dict[str, Path | None] = {"PATIENTS": patients, "clinic": clinic, "site_key": site_key_file}
    if patients.is_dir():
        inputs.update({f"PATIENTS ({p.name})": p for p in patients.glob("*.toml")})
    targets = [out / name for name in sorted(batch.RESERVED)]
    for row in rows:
        if isinstance(row.fields.get("clinic"), str):
            inputs[f"clinic ({row.where})"] = Path(row.fields["clinic"])
        targets.extend(out / row.folder / f"plan.{fmt}" for fmt in wanted)
    check_tree(out, targets, inputs)
    del targets
    if out.is_dir():  # the batch's own files can be written (agenda.pdf is no folder) before any row runs
        check_targets({name: out / name for name in sorted(batch.RESERVED)}, [], within=out)
    key = None
    if save is not None:  # the workspace opens (migrated if older) and serves the key used here
        from .records import keyed_outputs, open_workspace

        with open_workspace(save) as workspace:
            probe = Outputs(
                {"ics": out / "plan.ics"} if "ics" in wanted else {}, audience, site_key=site_key_file
            )
            keyed = keyed_outputs(workspace, probe, centre)
            site_key_file, key = keyed.site_key or site_key_file, keyed.key
    if audience == "patient" and "ics" in wanted and key is None:
        key = site_key(centre, explicit=site_key_file, notice=notice)
    job = batch.Job(
        out=out,
        clinic=clinic,
        formats=wanted,
        audience=audience,
        now=now,
        clock=resolve_now(None, "UTC"),  # without --now: SOURCE_DATE_EPOCH, else the clock, read once
        paper=paper,
        cache=cache_dir(os.environ),
        key=key,
        site_key=site_key_file,
        allow_unreviewed=allow_unreviewed,
        large_print=large_print,
        fonts=fonts,
        allow_missing_glyphs=allow_missing_glyphs,
        save=save,
        decided_by=decided_by,
    )
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create '{out}': {exc.strerror}", field="out") from None
    try:
        return batch.run_batch(rows, job, jobs or batch.default_jobs(), centre, chairs, progress)
    except OSError as exc:  # the working files beside the outputs (the disk filled up mid-run)
        import errno

        if exc.errno not in (errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EFBIG, errno.EROFS):
            raise
        raise WriteError(f"cannot write the batch's working files in {out}: {exc.strerror}") from None


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
