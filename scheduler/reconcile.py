"""Reconciliation: the clinic doses a pharmacy recorded as given, set against the plan.

The doses reconciled are the ones given at the clinic: intrathecal doses (kind "it-dose", route
ommaya or lumbar) and systemic IV doses (kind "infusion", route iv), each with its date and mg.
Systemic tablets (kind "tablet") and memantine are taken at home: no clinic record exists for
them, so they are not reconciled; a record with an oral route is refused with that reason rather
than reported as an unplanned administration. Checks (kind "check": a blood count, an MRI) are
not doses: a given-doses file is set against doses only, so a check is never "missed" or "due".

Pure core: bytes and a plan in, a `Report` out; no files, clock or terminal (`as_of` is a
parameter). `parse_given` reads the administrations CSV and refuses it as a whole, naming every
malformed row with its physical line number, because a silently dropped row would later show up
as a "missed" dose. `reconcile` pairs administrations with planned doses and classifies each pair.

Matching rule. An administration may match a planned clinic dose (not cancelled) of
the same drug (compared case-insensitively) whose date is at most `window` days away. Route and
dose need not agree, so that a wrong route or a wrong dose is reported against the dose it was
meant to be rather than as an unplanned administration plus a missed dose. All candidate pairs are
sorted by (days apart, number of disagreements in route and dose, planned date, planned number,
administration line) and taken greedily when neither side is taken yet, so the closest pairs win
(at the same distance, the record that agrees with the plan), each planned dose gets at most one
administration and vice versa, and the result does not depend on the order of the CSV rows.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, TypeVar

from .errors import InputError
from .models import check_line, parse_clock, parse_date
from .plan import Event, Plan

__all__ = [
    "COLUMNS",
    "DOSE_TOLERANCE_MG",
    "MAX_WINDOW",
    "OUTCOMES",
    "RECONCILED_KINDS",
    "REQUIRED_COLUMNS",
    "ROUTES",
    "ROUTE_SYNONYMS",
    "Administration",
    "DrugTotal",
    "Issue",
    "Outcome",
    "Report",
    "ReportRow",
    "mg_text",
    "parse_given",
    "parse_route",
    "reconcile",
]

COLUMNS = ("date", "time", "drug", "dose_mg", "route", "lot", "initials")
REQUIRED_COLUMNS = ("date", "drug", "dose_mg", "route")
ROUTES = ("ommaya", "lumbar", "iv")
RECONCILED_KINDS = ("it-dose", "infusion")  # given at the clinic; tablets are taken at home
Route = Literal["ommaya", "lumbar", "iv"]
ROUTE_SYNONYMS: dict[str, Route] = {
    "ommaya": "ommaya",
    "ommaya reservoir": "ommaya",
    "intraventricular": "ommaya",
    "ivt": "ommaya",
    "lumbar": "lumbar",
    "lumbar puncture": "lumbar",
    "lp": "lumbar",
    "iv": "iv",
    "intravenous": "iv",
    "iv infusion": "iv",
}
# Tablets are taken at home and not reconciled: an oral record is refused with that reason.
_ORAL_ROUTES = frozenset({"oral", "po", "p.o.", "by mouth", "tablet", "tablets"})
# Both routes are intrathecal: these words do not say which one was used, so they are refused.
_AMBIGUOUS_ROUTES = frozenset({"intrathecal", "it"})
DOSE_TOLERANCE_MG = 0.001
MAX_WINDOW = 30
_MAX_LISTED_ROWS = 10
_FIELD = "GIVEN"
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)\Z", re.ASCII)  # ASCII digits only
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_T = TypeVar("_T")

Outcome = Literal["given", "wrong-route", "wrong-dose", "late", "early", "missed", "due", "unplanned"]
IssueCode = Literal["wrong-route", "wrong-dose", "late", "early", "missed", "unplanned"]
OUTCOMES: tuple[Outcome, ...] = (
    "given",
    "wrong-route",
    "wrong-dose",
    "late",
    "early",
    "missed",
    "due",
    "unplanned",
)


# --- the administrations CSV ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Administration:
    """One dose the pharmacy or ward recorded as given. `line` is the physical line of the CSV
    file on which its row starts (1-based, the header counts), so a message can point at it."""

    line: int
    date: dt.date
    time: str | None
    drug: str  # normalised for matching: trimmed, lower case, inner whitespace collapsed
    drug_text: str  # as written, trimmed, for display
    dose_mg: float
    route: Route
    lot: str | None = None
    initials: str | None = None


def _show(value: str, limit: int = 40) -> str:
    """A cell quoted for an error message: shortened, control characters made visible."""
    text = value if len(value) <= limit else value[: limit - 3] + "..."
    return "'" + _CONTROL.sub(lambda m: repr(m.group())[1:-1], text) + "'"


def parse_route(value: str) -> Route:
    """'ommaya', 'lumbar' or 'iv' from what a record says, accepting the usual synonyms in any case."""
    key = " ".join(value.lower().split())
    if key in ROUTE_SYNONYMS:
        return ROUTE_SYNONYMS[key]
    if key in _ORAL_ROUTES:
        raise ValueError(
            f"{_show(value)}: tablets are taken at home and not reconciled; leave oral records out "
            f"(valid: {', '.join(ROUTES)})"
        )
    if key in _AMBIGUOUS_ROUTES:
        raise ValueError(
            f"{_show(value)} does not say which route; write ommaya or lumbar (valid: {', '.join(ROUTES)})"
        )
    raise ValueError(f"{_show(value)} is not a route (valid: {', '.join(ROUTES)})")


def _parse_dose(value: str) -> float:
    text = value.strip()
    if not _NUMBER.match(text):
        hint = ""
        if re.match(r"^\d+,\d+$", text):
            hint = " (use a decimal point)"
        elif re.match(r"^[+-]?[\d.]+\s*[a-zA-Zµ]+$", text):
            hint = " (give the number of mg only)"
        raise ValueError(f"{_show(value)} is not a number{hint}")
    mg = float(text)
    if not math.isfinite(mg):
        raise ValueError(f"{_show(value)} is not a finite number")
    if mg <= 0:
        raise ValueError(f"{_show(value)} is not a dose; it must be more than 0 mg")
    return mg


def _optional_line(value: str) -> str | None:
    text = check_line(value).strip()
    return text or None


def _parse_drug(value: str) -> str:
    text = check_line(value).strip()
    if not text:
        raise ValueError("is empty; name the drug given")
    return text


def _parse_time(value: str) -> str | None:
    return parse_clock(value) if value.strip() else None


def _parse_row(line: int, cells: dict[str, str]) -> tuple[Administration | None, list[str]]:
    """One data row: the administration, or every problem ('field: reason') that stops it."""
    problems: list[str] = []

    def field(name: str, parse: Callable[[str], _T]) -> _T | None:
        try:
            return parse(cells.get(name, ""))
        except ValueError as exc:
            problems.append(f"{name}: {exc}")
            return None

    day = field("date", parse_date)
    clock = field("time", _parse_time)
    drug_text = field("drug", _parse_drug)
    mg = field("dose_mg", _parse_dose)
    route = field("route", parse_route)
    lot = field("lot", _optional_line)
    initials = field("initials", _optional_line)
    if day is None or drug_text is None or mg is None or route is None or problems:
        return None, problems
    admin = Administration(
        line=line,
        date=day,
        time=clock,
        drug=" ".join(drug_text.lower().split()),
        drug_text=drug_text,
        dose_mg=mg,
        route=route,
        lot=lot,
        initials=initials,
    )
    return admin, problems


def _is_blank(cells: list[str]) -> bool:
    """A wholly blank line (nothing, or only spaces): not a row. A row of empty cells (',,,') is
    a row, and is refused like any other malformed one."""
    return not cells or (len(cells) == 1 and not cells[0].strip() and not re.search("[\r\n]", cells[0]))


def _records(text: str) -> Iterable[tuple[int, list[str] | None, str]]:
    """(first physical line, cells or None, csv error) for each record, blank lines skipped.

    `line_num` counts the physical lines read so far, so a record starts on the line after the
    previous record ended; a quoted field with line breaks does not shift later line numbers."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            reason = "a quoted field is never closed" if "end of data" in str(exc) else f"bad quoting ({exc})"
            if "field limit" in str(exc):
                reason = f"a cell is longer than {csv.field_size_limit()} characters"
            yield start, None, reason
            continue
        if not _is_blank(cells):
            yield start, cells, ""


def _listed(what: str, names: Sequence[str]) -> list[str]:
    if not names:
        return []
    return [f"{what} column{'s' if len(names) > 1 else ''} {', '.join(_show(n) for n in names)}"]


def _header(line: int, cells: list[str], source: str) -> list[str]:
    """The column names (trimmed, lower case); refused when one is unknown, repeated or missing."""
    names = [" ".join(c.split()).lower() for c in cells]
    unknown = [n for n in dict.fromkeys(names) if n not in COLUMNS]
    repeated = [n for n in dict.fromkeys(names) if n in COLUMNS and names.count(n) > 1]
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    problems = _listed("unknown", unknown) + _listed("duplicate", repeated) + _listed("missing", missing)
    if problems:
        hint = ""
        if not set(names) & set(COLUMNS):
            hint = "; the first row must be a header such as date,time,drug,dose_mg,route,lot,initials"
            if len(cells) == 1 and ";" in cells[0]:
                hint += " (comma-separated, not semicolons)"
        raise InputError(f"{source}: line {line}: {'; '.join(problems)}{hint}", field=_FIELD, choices=COLUMNS)
    return names


def parse_given(data: bytes, source: str = "GIVEN.csv") -> tuple[Administration, ...]:
    """The administrations in a CSV file (UTF-8, optional BOM, comma-separated, header row).

    Every malformed row is collected and the file is refused with one message naming each by
    line, field and reason: dropping a row would make a dose look missed."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(
            f"{source}: line {line}: not UTF-8 text; save the file as 'CSV UTF-8'", field=_FIELD
        ) from None
    records = iter(_records(text))
    first = next(records, None)
    if first is None:
        raise InputError(f"{source} has no administrations (the file is empty)", field=_FIELD)
    line, cells, error = first
    if cells is None:
        raise InputError(f"{source}: line {line}: header: {error}", field=_FIELD, choices=COLUMNS)
    names = _header(line, cells, source)

    given: list[Administration] = []
    bad: list[tuple[int, list[str]]] = []
    for line, cells, error in records:
        if cells is None:
            bad.append((line, [error]))
        elif not any(c.strip() for c in cells):
            bad.append((line, ["the row is empty (only commas); delete it"]))
        elif len(cells) != len(names):
            fields = "1 field" if len(cells) == 1 else f"{len(cells)} fields"
            bad.append((line, [f"{fields} where the header has {len(names)}"]))
        else:
            admin, problems = _parse_row(line, dict(zip(names, cells, strict=True)))
            if admin is None:
                bad.append((line, problems))
            else:
                given.append(admin)
    if bad:
        listed = "; ".join(f"line {n}: {p}" for n, problems in bad[:_MAX_LISTED_ROWS] for p in problems)
        more = f"; ... and {len(bad) - _MAX_LISTED_ROWS} more" if len(bad) > _MAX_LISTED_ROWS else ""
        rows = "row" if len(bad) == 1 else "rows"
        raise InputError(f"{source}: {len(bad)} malformed {rows}: {listed}{more}", field=_FIELD)
    if not given:
        raise InputError(f"{source} has no administrations (only a header)", field=_FIELD)
    return tuple(given)


# --- reconciliation ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Issue:
    """One thing wrong with a row: a code from `IssueCode` and a sentence for staff."""

    code: IssueCode
    text: str


@dataclass(frozen=True, slots=True)
class ReportRow:
    """A planned dose (with the administration matched to it, if any) or an unplanned administration.

    `outcome` is the primary one: the first of wrong-route, wrong-dose, late/early, given that
    applies; `issues` keeps them all. A row is a discrepancy exactly when it has issues."""

    outcome: Outcome
    issues: tuple[Issue, ...]
    planned: Event | None
    given: Administration | None
    days_off: int | None  # given date minus planned date; None unless matched

    @property
    def discrepancy(self) -> bool:
        return bool(self.issues)

    @property
    def drug(self) -> str:
        if self.planned is not None:
            return self.planned.drug or ""
        assert self.given is not None
        return self.given.drug_text


@dataclass(frozen=True, slots=True)
class DrugTotal:
    """mg per drug: planned up to and including `as_of`, planned in the whole plan, given (every
    administration of the drug, matched or not) and given minus planned-to-date."""

    drug: str
    planned_due_mg: float
    planned_total_mg: float
    given_mg: float

    @property
    def difference_mg(self) -> float:
        return round(self.given_mg - self.planned_due_mg, 6)


@dataclass(frozen=True, slots=True)
class Report:
    fingerprint: str
    revision: int
    as_of: dt.date
    window: int
    rows: tuple[ReportRow, ...]
    totals: tuple[DrugTotal, ...]

    @property
    def discrepancies(self) -> int:
        """Rows needing a look: wrong route or dose, late, early, missed, unplanned (not due)."""
        return sum(row.discrepancy for row in self.rows)

    @property
    def matches(self) -> bool:
        return self.discrepancies == 0


def mg_text(mg: float | None) -> str:
    """'15', '12.5': the shortest text that reads back as the same number."""
    if mg is None:
        return ""
    if float(mg).is_integer() and abs(mg) < 1e15:
        return str(int(mg))
    return repr(float(mg))


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def _key(drug: str | None) -> str:
    return " ".join((drug or "").lower().split())


def _planned_key(event: Event) -> tuple[dt.date, str, int, str]:
    return (event.date, event.time, event.number, event.uid)


def _matched_issues(event: Event, admin: Administration) -> tuple[Issue, ...]:
    issues: list[Issue] = []
    if admin.route != event.route:
        issues.append(Issue("wrong-route", f"wrong route: given {admin.route}, planned {event.route}"))
    if event.dose_mg is not None and abs(admin.dose_mg - event.dose_mg) > DOSE_TOLERANCE_MG:
        issues.append(
            Issue(
                "wrong-dose",
                f"wrong dose: given {mg_text(admin.dose_mg)} mg, planned {mg_text(event.dose_mg)} mg",
            )
        )
    off = (admin.date - event.date).days
    if off > 0:
        issues.append(Issue("late", f"late {_days(off)} (given {admin.date})"))
    elif off < 0:
        issues.append(Issue("early", f"early {_days(-off)} (given {admin.date})"))
    return tuple(issues)


def _unplanned_text(
    admin: Administration, plan_events: Sequence[Event], taken: dict[str, int], window: int
) -> str:
    """Why an administration matched nothing: no dose of the drug at all, none near enough, or the
    ones near enough were taken by closer administrations (or cancelled)."""
    same_drug = [e for e in plan_events if _key(e.drug) == admin.drug]
    if not [e for e in same_drug if e.status != "cancelled"]:
        text = f"no planned dose of {admin.drug}"
    else:
        where = f"on {admin.date}" if window == 0 else f"within {_days(window)}"
        near = sorted(
            (e for e in same_drug if abs((admin.date - e.date).days) <= window and e.status != "cancelled"),
            key=_planned_key,
        )
        if near:
            matched = ", ".join(
                f"dose {e.number}/{e.of} on {e.date} matched line {taken[e.uid]}" for e in near
            )
            text = f"no unmatched planned {admin.drug} dose {where} ({matched})"
        else:
            text = f"no planned {admin.drug} dose {where}"
    cancelled = sorted(
        (e for e in same_drug if e.status == "cancelled" and abs((admin.date - e.date).days) <= window),
        key=_planned_key,
    )
    if cancelled:
        text += "; cancelled: " + ", ".join(f"dose {e.number}/{e.of} on {e.date}" for e in cancelled)
    return text


def reconcile(plan: Plan, given: Sequence[Administration], window: int = 2, *, as_of: dt.date) -> Report:
    """Set the administrations against the plan's clinic doses (IT doses and IV infusions) as of a
    date (see the module docstring).

    A planned dose with no administration is `missed` once its window has passed
    (planned date + window < as_of) and `due` until then; due is not a discrepancy."""
    if isinstance(window, bool) or not isinstance(window, int) or not 0 <= window <= MAX_WINDOW:
        raise InputError(f"{window!r} is not a window; give 0 to {MAX_WINDOW} days", field="window")
    if isinstance(as_of, dt.datetime) or not isinstance(as_of, dt.date):
        raise TypeError("as_of must be a date, not a date and time")

    it_doses = [e for e in plan.events if e.kind in RECONCILED_KINDS]
    planned = sorted((e for e in it_doses if e.status != "cancelled"), key=_planned_key)

    candidates = sorted(
        (abs((a.date - e.date).days), len(_matched_issues(e, a)), e.date, e.number, a.line, p, i)
        for p, e in enumerate(planned)
        for i, a in enumerate(given)
        if _key(e.drug) == a.drug and abs((a.date - e.date).days) <= window
    )
    admin_for: dict[int, int] = {}  # planned index -> administration index
    used: set[int] = set()
    for *_, p, i in candidates:
        if p not in admin_for and i not in used:
            admin_for[p] = i
            used.add(i)

    rows: list[ReportRow] = []
    for p, event in enumerate(planned):
        if p in admin_for:
            admin = given[admin_for[p]]
            issues = _matched_issues(event, admin)
            outcome: Outcome = issues[0].code if issues else "given"
            rows.append(ReportRow(outcome, issues, event, admin, (admin.date - event.date).days))
        elif event.date + dt.timedelta(days=window) < as_of:
            rows.append(ReportRow("missed", (Issue("missed", "missed"),), event, None, None))
        else:
            rows.append(ReportRow("due", (), event, None, None))

    taken = {planned[p].uid: given[i].line for p, i in admin_for.items()}
    home = {_key(e.drug) for e in plan.events if e.kind == "tablet" and e.drug}  # systemic tablets
    unplanned = sorted((a.date, a.line, i) for i, a in enumerate(given) if i not in used)
    for *_, i in unplanned:
        admin = given[i]
        text = _unplanned_text(admin, it_doses, taken, window)
        if admin.drug in home:
            text += f"; {admin.drug} is planned as tablets taken at home (not reconciled)"
        rows.append(ReportRow("unplanned", (Issue("unplanned", text),), None, admin, None))

    return Report(
        fingerprint=plan.fingerprint,
        revision=plan.revision,
        as_of=as_of,
        window=window,
        rows=tuple(rows),
        totals=_totals(planned, given, as_of),
    )


def _totals(
    planned: Sequence[Event], given: Sequence[Administration], as_of: dt.date
) -> tuple[DrugTotal, ...]:
    due: dict[str, float] = {}
    total: dict[str, float] = {}
    given_mg: dict[str, float] = {}
    for e in planned:
        mg = float(e.dose_mg or 0)
        drug = _key(e.drug)
        total[drug] = total.get(drug, 0.0) + mg
        due[drug] = due.get(drug, 0.0) + (mg if e.date <= as_of else 0.0)
    for a in given:
        given_mg[a.drug] = given_mg.get(a.drug, 0.0) + a.dose_mg
    return tuple(
        DrugTotal(
            drug=drug,
            planned_due_mg=round(due.get(drug, 0.0), 6),
            planned_total_mg=round(total.get(drug, 0.0), 6),
            given_mg=round(given_mg.get(drug, 0.0), 6),
        )
        for drug in sorted(total.keys() | given_mg.keys())
    )
