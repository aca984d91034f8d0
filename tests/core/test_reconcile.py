"""Reconciliation of the doses recorded as given against the plan: the administrations CSV (every
malformed row named by its physical line), the matching rule, each outcome, totals and the three
renderers.

The plan (`make_plan(window_reading(registry))`: the phases' window reading, which pins these
dates): methotrexate 15 mg by Ommaya, 18 doses on 2026-12-01,
12-04, 12-08, 12-11, 12-15, 12-18, 12-22, 12-28, 12-31, 2027-01-06, 01-12, 01-19, then monthly
2027-01-26, 02-26, 03-26, 04-26, 05-26, 06-28. The tests check those dates before relying on them."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.errors import InputError
from scheduler.export.reconcile import CSV_COLUMNS, render_csv, render_json, render_lines
from scheduler.plan import Plan
from scheduler.reconcile import Administration, Report, ReportRow, parse_given, reconcile
from scheduler.templates import Registry

from ..conftest import make_plan, plan_fields, window_reading

D = dt.date.fromisoformat
HEADER = "date,drug,dose_mg,route"
DOSE_DATES = [
    *("2026-12-01", "2026-12-04", "2026-12-08", "2026-12-11", "2026-12-15", "2026-12-18", "2026-12-22"),
    *("2026-12-28", "2026-12-31", "2027-01-06", "2027-01-12", "2027-01-19", "2027-01-26", "2027-02-26"),
    *("2027-03-26", "2027-04-26", "2027-05-26", "2027-06-28"),
]


def given_csv(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join((header, *rows)) + "\n").encode()


def mtx(day: str, mg: str = "15", route: str = "ommaya") -> str:
    return f"{day},methotrexate,{mg},{route}"


@pytest.fixture(scope="module")
def plan(registry: Registry) -> Plan:
    # The cases below match given doses against these dates (the window reading of the phases),
    # so that a change to the date engine does not reshuffle every case.
    plan = make_plan(window_reading(registry))
    doses = [e for e in plan.events if e.kind == "it-dose"]
    assert [e.date.isoformat() for e in doses] == DOSE_DATES
    assert {(e.drug, e.dose_mg, e.route) for e in doses} == {("methotrexate", 15, "ommaya")}
    return plan


def check(plan: Plan, *rows: str, as_of: str, window: int = 2, header: str = HEADER) -> Report:
    return reconcile(plan, parse_given(given_csv(*rows, header=header)), window, as_of=D(as_of))


def row_for(report: Report, number: int) -> ReportRow:
    (row,) = [r for r in report.rows if r.planned is not None and r.planned.number == number]
    return row


def unplanned(report: Report) -> list[ReportRow]:
    return [r for r in report.rows if r.outcome == "unplanned"]


def error(data: bytes) -> str:
    with pytest.raises(InputError) as caught:
        parse_given(data)
    assert caught.value.field == "GIVEN"
    return str(caught.value)


# --- outcomes ------------------------------------------------------------------------------------


def test_given_on_the_day_with_the_planned_dose_and_route(plan: Plan) -> None:
    report = check(plan, mtx("2026-12-01"), as_of="2026-12-01")
    row = row_for(report, 1)
    assert (row.outcome, row.issues, row.days_off) == ("given", (), 0)
    assert row.given is not None and row.given.line == 2
    assert [r.outcome for r in report.rows[1:]] == ["due"] * 17
    assert report.discrepancies == 0 and report.matches


def test_late_and_early_by_days(plan: Plan) -> None:
    # 12-09 is 1 day after dose 3 (12-08); 12-10 is 1 day before dose 4 (12-11)
    report = check(plan, mtx("2026-12-09"), mtx("2026-12-10"), as_of="2026-12-11")
    late, early = row_for(report, 3), row_for(report, 4)
    assert (late.outcome, late.days_off, [i.text for i in late.issues]) == (
        "late",
        1,
        ["late 1 day (given 2026-12-09)"],
    )
    assert (early.outcome, early.days_off, [i.text for i in early.issues]) == (
        "early",
        -1,
        ["early 1 day (given 2026-12-10)"],
    )
    report = check(plan, mtx("2027-03-28"), mtx("2027-04-24"), as_of="2027-04-30")
    assert row_for(report, 15).issues[0].text == "late 2 days (given 2027-03-28)"
    assert row_for(report, 16).issues[0].text == "early 2 days (given 2027-04-24)"


def test_missed_once_the_window_has_passed_due_until_then(plan: Plan) -> None:
    # dose 3 (12-08) with a 2-day window: due up to 12-10, missed from 12-11
    assert row_for(check(plan, mtx("2026-12-01"), as_of="2026-12-10"), 3).outcome == "due"
    report = check(plan, mtx("2026-12-01"), as_of="2026-12-11")
    row = row_for(report, 3)
    assert (row.outcome, [i.code for i in row.issues], row.given) == ("missed", ["missed"], None)
    # 12-04 and 12-08 missed; 12-11 (today) is due, and due is not a discrepancy
    assert [r.outcome for r in report.rows[:5]] == ["given", "missed", "missed", "due", "due"]
    assert report.discrepancies == 2 and not report.matches
    # window 0: missed the day after
    assert row_for(check(plan, mtx("2026-12-01"), as_of="2026-12-09", window=0), 3).outcome == "missed"
    assert row_for(check(plan, mtx("2026-12-01"), as_of="2026-12-08", window=0), 3).outcome == "due"


def test_wrong_dose_with_a_tolerance_of_a_thousandth_of_a_mg(plan: Plan) -> None:
    report = check(plan, mtx("2026-12-01", mg="12"), mtx("2026-12-04", mg="15.0009"), as_of="2026-12-04")
    row = row_for(report, 1)
    assert (row.outcome, [i.text for i in row.issues]) == (
        "wrong-dose",
        ["wrong dose: given 12 mg, planned 15 mg"],
    )
    assert row_for(report, 2).outcome == "given"
    report = check(plan, mtx("2026-12-01", mg="15.002"), as_of="2026-12-01")
    assert row_for(report, 1).issues[0].text == "wrong dose: given 15.002 mg, planned 15 mg"


def test_wrong_route(plan: Plan) -> None:
    row = row_for(check(plan, mtx("2026-12-01", route="lumbar"), as_of="2026-12-01"), 1)
    assert (row.outcome, [i.text for i in row.issues]) == (
        "wrong-route",
        ["wrong route: given lumbar, planned ommaya"],
    )


def test_every_issue_is_kept_and_the_primary_outcome_follows_the_order(plan: Plan) -> None:
    row = row_for(check(plan, mtx("2026-12-02", mg="10"), as_of="2026-12-02"), 1)
    assert row.outcome == "wrong-dose"
    assert [i.code for i in row.issues] == ["wrong-dose", "late"]
    row = row_for(check(plan, mtx("2026-11-30", mg="10", route="lp"), as_of="2026-12-02"), 1)
    assert row.outcome == "wrong-route"
    assert [i.code for i in row.issues] == ["wrong-route", "wrong-dose", "early"]


def test_unplanned_administration_of_a_planned_drug_and_of_an_unknown_drug(plan: Plan) -> None:
    report = check(
        plan,
        mtx("2026-11-20"),
        "2026-12-01,Cytarabine,50,ommaya",
        mtx("2026-12-01"),
        as_of="2026-12-01",
    )
    rows = unplanned(report)
    assert [(r.given.line, r.drug) for r in rows if r.given] == [(2, "methotrexate"), (3, "Cytarabine")]
    assert [r.issues[0].text for r in rows] == [
        "no planned methotrexate dose within 2 days",
        "no planned dose of cytarabine",
    ]
    assert row_for(report, 1).outcome == "given"  # the unknown drug on the same day does not match it
    assert report.rows[-2:] == tuple(rows)  # after the planned doses, by date
    assert report.discrepancies == 2


def test_window_edge_exactly_window_days_matches_one_more_does_not(plan: Plan) -> None:
    planned = D("2027-03-26")  # dose 15; its neighbours are a month away
    for window in (0, 1, 2, 7):
        for sign in (1, -1):
            edge = (planned + dt.timedelta(days=sign * window)).isoformat()
            beyond = (planned + dt.timedelta(days=sign * (window + 1))).isoformat()
            inside = check(plan, mtx(edge), as_of="2027-04-20", window=window)
            assert row_for(inside, 15).days_off == sign * window and not unplanned(inside)
            outside = check(plan, mtx(beyond), as_of="2027-04-20", window=window)
            assert row_for(outside, 15).outcome == "missed"
            assert [r.given.date.isoformat() for r in unplanned(outside) if r.given] == [beyond]


def test_two_administrations_near_one_dose_the_closest_wins(plan: Plan) -> None:
    rows = (mtx("2027-03-28"), mtx("2027-03-27"))
    report = check(plan, *rows, as_of="2027-04-01")
    assert row_for(report, 15).given == parse_given(given_csv(*rows))[1]
    (extra,) = unplanned(report)
    assert extra.given is not None and extra.given.line == 2
    assert extra.issues[0].text == (
        "no unmatched planned methotrexate dose within 2 days (dose 15/18 on 2027-03-26 matched line 3)"
    )
    # the same record in the other order pairs the same days
    swapped = check(plan, *reversed(rows), as_of="2027-04-01")
    kept = row_for(swapped, 15).given
    assert kept is not None and kept.date == D("2027-03-27") and kept.line == 2


def test_same_distance_tie_goes_to_the_record_that_agrees_then_the_earlier_line(plan: Plan) -> None:
    report = check(plan, mtx("2027-03-27", mg="10"), mtx("2027-03-25"), as_of="2027-04-01")
    row = row_for(report, 15)
    assert row.given is not None and row.given.line == 3 and row.outcome == "early"
    assert [r.given.line for r in unplanned(report) if r.given] == [2]
    both_agree = check(plan, mtx("2027-03-27"), mtx("2027-03-25"), as_of="2027-04-01")
    first = row_for(both_agree, 15)
    assert first.given is not None and first.given.line == 2 and first.outcome == "late"


def test_matching_is_global_not_in_file_order(plan: Plan) -> None:
    # 12-02 is 1 day from dose 1 and 2 days from dose 2; 12-01 is dose 1's own day. Taking the rows in
    # file order would give 12-02 to dose 1 and leave 12-01 unplanned; the closest pair goes first.
    report = check(plan, mtx("2026-12-02"), mtx("2026-12-01"), as_of="2026-12-04")
    assert row_for(report, 1).outcome == "given"
    assert (row_for(report, 2).outcome, row_for(report, 2).days_off) == ("early", -2)
    assert not unplanned(report)


def test_cancelled_doses_are_not_expected(plan: Plan) -> None:
    cancelled = plan.model_copy(
        update={
            "events": tuple(
                e.model_copy(update={"status": "cancelled"})
                if e.kind == "it-dose" and e.number in (2, 3)
                else e
                for e in plan.events
            )
        }
    )
    report = check(cancelled, mtx("2026-12-01"), mtx("2026-12-11"), as_of="2026-12-14")
    assert [r.planned.number for r in report.rows if r.planned] == [1, *range(4, 19)]
    assert report.matches
    (total,) = report.totals
    assert (total.planned_due_mg, total.planned_total_mg) == (30, 16 * 15)
    # a dose given on a cancelled day is unplanned, and says so
    report = check(cancelled, mtx("2026-12-01"), mtx("2026-12-08"), mtx("2026-12-11"), as_of="2026-12-14")
    (extra,) = unplanned(report)
    assert extra.issues[0].text == (
        "no planned methotrexate dose within 2 days; cancelled: dose 3/18 on 2026-12-08"
    )


def test_totals_per_drug(plan: Plan) -> None:
    report = check(
        plan,
        mtx("2026-12-01"),
        mtx("2026-12-04", mg="12.5"),
        mtx("2026-11-01"),  # unplanned, still counted as given
        "2026-12-05,cytarabine,50,ommaya",
        as_of="2026-12-08",
    )
    assert [
        (t.drug, t.planned_due_mg, t.planned_total_mg, t.given_mg, t.difference_mg) for t in report.totals
    ] == [
        ("cytarabine", 0, 0, 50, 50),
        ("methotrexate", 45, 270, 42.5, -2.5),
    ]


def test_a_record_built_from_the_plan_matches(plan: Plan) -> None:
    rows = [
        f"{e.date},{e.drug},{e.dose_mg},{e.route}"
        for e in plan.events
        if e.kind == "it-dose" and e.date <= D("2027-02-26")
    ]
    report = check(plan, *rows, as_of="2027-03-01")
    assert report.matches and report.discrepancies == 0
    assert [r.outcome for r in report.rows] == ["given"] * 14 + ["due"] * 4
    assert render_lines(report)[-1] == "all doses match"


def test_non_it_events_are_not_planned_doses(registry: Registry, adult: Plan) -> None:
    """The adult plan has WBRT fractions and memantine: neither is a planned IT dose."""
    report = reconcile(adult, parse_given(given_csv("2026-12-01,memantine,5,ommaya")), as_of=D("2026-12-01"))
    assert all(r.planned is None or r.planned.kind == "it-dose" for r in report.rows)
    assert len([r for r in report.rows if r.planned]) == len([e for e in adult.events if e.kind == "it-dose"])
    assert unplanned(report)[0].issues[0].text == "no planned dose of memantine"


@pytest.mark.parametrize("window", [-1, 31, 100])
def test_window_out_of_range(plan: Plan, window: int) -> None:
    with pytest.raises(InputError) as caught:
        reconcile(plan, parse_given(given_csv(mtx("2026-12-01"))), window, as_of=D("2026-12-01"))
    assert caught.value.field == "window" and "0 to 30" in str(caught.value)


@pytest.mark.parametrize("window", [0, 30])
def test_window_limits_are_allowed(plan: Plan, window: int) -> None:
    assert check(plan, mtx("2026-12-01"), as_of="2026-12-01", window=window).window == window


# --- the administrations CSV ---------------------------------------------------------------------


def test_parse_all_columns_case_insensitive_header_and_trimmed_values() -> None:
    data = given_csv(
        " 2026-12-01 , 9:05 , Methotrexate  PF ,12.5, Ommaya Reservoir ,A12, js ",
        "2026-12-04,,methotrexate,15,LP,,",
        header=" Date ,TIME,Drug,DOSE_MG,Route,Lot,Initials",
    )
    first, second = parse_given(data)
    assert first == Administration(
        line=2,
        date=D("2026-12-01"),
        time="09:05",
        drug="methotrexate pf",
        drug_text="Methotrexate  PF",
        dose_mg=12.5,
        route="ommaya",
        lot="A12",
        initials="js",
    )
    assert (second.line, second.time, second.route, second.lot, second.initials) == (
        3,
        None,
        "lumbar",
        None,
        None,
    )


@pytest.mark.parametrize(
    ("written", "route"),
    [
        ("ommaya", "ommaya"),
        ("OMMAYA", "ommaya"),
        ("Intraventricular", "ommaya"),
        ("IVT", "ommaya"),
        ("ommaya reservoir", "ommaya"),
        ("lumbar", "lumbar"),
        ("LP", "lumbar"),
        ("Lumbar Puncture", "lumbar"),
    ],
)
def test_route_synonyms(written: str, route: str) -> None:
    (admin,) = parse_given(given_csv(f"2026-12-01,methotrexate,15,{written}"))
    assert admin.route == route


def test_blank_lines_are_skipped_and_do_not_shift_line_numbers() -> None:
    data = b"\n" + given_csv("", mtx("2026-12-01"), "   ", mtx("2026-12-04"))
    assert [a.line for a in parse_given(data)] == [4, 6]


ROW_ERRORS = [
    ("2026-02-30,methotrexate,15,ommaya", "date: '2026-02-30' is not a real calendar date (YYYY-MM-DD)"),
    ("01/12/2026,methotrexate,15,ommaya", "date: '01/12/2026' is not a date; expected YYYY-MM-DD"),
    ("2026-12-01,,15,ommaya", "drug: is empty; name the drug given"),
    ("2026-12-01,methotrexate,ten,ommaya", "dose_mg: 'ten' is not a number"),
    ("2026-12-01,methotrexate,10mg,ommaya", "dose_mg: '10mg' is not a number (give the number of mg only)"),
    ('2026-12-01,methotrexate,"12,5",ommaya', "dose_mg: '12,5' is not a number (use a decimal point)"),
    ("2026-12-01,methotrexate,0,ommaya", "dose_mg: '0' is not a dose; it must be more than 0 mg"),
    ("2026-12-01,methotrexate,-5,ommaya", "dose_mg: '-5' is not a dose; it must be more than 0 mg"),
    ("2026-12-01,methotrexate,nan,ommaya", "dose_mg: 'nan' is not a number"),
    ("2026-12-01,methotrexate,inf,ommaya", "dose_mg: 'inf' is not a number"),
    ("2026-12-01,methotrexate,1e1,ommaya", "dose_mg: '1e1' is not a number"),
    ("2026-12-01,methotrexate," + "9" * 400 + ",ommaya", "is not a finite number"),
    ("2026-12-01,methotrexate,,ommaya", "dose_mg: '' is not a number"),
    ("2026-12-01,methotrexate,15,sc", "route: 'sc' is not a route (valid: ommaya, lumbar, iv)"),
    ("2026-12-01,methotrexate,15,", "route: '' is not a route (valid: ommaya, lumbar, iv)"),
    (
        "2026-12-01,methotrexate,15,intrathecal",
        "route: 'intrathecal' does not say which route; write ommaya or lumbar (valid: ommaya, lumbar, iv)",
    ),
    ("2026-12-01,methotrexate,15,IT", "route: 'IT' does not say which route"),
    (
        "2026-12-01,methotrexate,15,ommaya,9am,,",
        "time: '9am' is not a time; expected HH:MM from 00:00 to 23:59",
    ),
    ("2026-12-01,methotrexate,15,ommaya,24:00,,", "time: '24:00' is not a time"),
    ("2026-12-01,methotrexate,15,ommaya,,A\x1b[31m,", "lot: contains the control character U+001B"),
    ('2026-12-01,methotrexate,15,ommaya,,,"J\nS"', "initials: must be one line (it contains a line break)"),
    ("2026-12-01,methotrexate,15", "3 fields where the header has 7"),
    ("2026-12-01", "1 field where the header has 7"),
    ("2026-12-01,methotrexate,15,ommaya,,,,", "8 fields where the header has 7"),
    (",,,,,,", "the row is empty (only commas); delete it"),
    ('2026-12-01,"metho"trexate,15,ommaya,,,', "bad quoting"),
]


@pytest.mark.parametrize(("row", "reason"), ROW_ERRORS)
def test_each_malformed_row_is_named_with_line_field_and_reason(row: str, reason: str) -> None:
    """Between two good rows, with the optional columns (the 4-column rows are padded)."""
    header = "date,drug,dose_mg,route,time,lot,initials"
    good = "2026-12-04,methotrexate,15,ommaya,,,"
    if len(next(csv.reader([row]))) == 4:
        row += ",,,"
    message = error(given_csv(good, row, good, header=header))
    assert message.startswith("GIVEN: GIVEN.csv: 1 malformed row: line 3: ")
    assert reason in message


def test_every_malformed_row_is_listed_with_its_physical_line() -> None:
    data = (
        "\ufeffdate,drug,dose_mg,route,lot\r\n"  # BOM and CRLF
        '2026-12-01,methotrexate,15,ommaya,"lot\r\nspanning two lines"\r\n'  # lines 2-3
        "2026-12-04,methotrexate,15,ommaya,ok\r\n"  # line 4
        "\r\n"  # line 5, blank
        "2026-12-08,methotrexate,ten,sc,\r\n"  # line 6
        "2026-12-11,methotrexate,15,ommaya,\r\n"  # line 7
    ).encode()
    assert error(data) == (
        "GIVEN: GIVEN.csv: 2 malformed rows: line 2: lot: must be one line (it contains a line break); "
        "line 6: dose_mg: 'ten' is not a number; line 6: route: 'sc' is not a route (valid: ommaya, lumbar, iv)"
    )


def test_quoted_line_break_in_a_field_before_the_bad_row_does_not_shift_its_line() -> None:
    data = given_csv('2026-12-01,"metho\ntrexate",15,ommaya', "2026-12-04,methotrexate,15,ommaya", mtx("x"))
    assert error(data) == (
        "GIVEN: GIVEN.csv: 2 malformed rows: line 2: drug: must be one line (it contains a line break); "
        "line 5: date: 'x' is not a date; expected YYYY-MM-DD"
    )


def test_a_bom_is_not_part_of_the_first_column_name_and_does_not_shift_lines() -> None:
    (admin,) = parse_given(b"\xef\xbb\xbf" + given_csv(mtx("2026-12-01")))
    assert admin.line == 2 and admin.date == D("2026-12-01")
    assert "line 3: dose_mg" in error(
        b"\xef\xbb\xbf" + given_csv(mtx("2026-12-01"), mtx("2026-12-04", mg="x"))
    )


def test_the_list_of_malformed_rows_is_capped() -> None:
    message = error(given_csv(*[mtx("2026-12-01", mg="x")] * 13))
    assert message.startswith("GIVEN: GIVEN.csv: 13 malformed rows: line 2: dose_mg: 'x' is not a number;")
    assert "line 11: dose_mg" in message and "line 12:" not in message
    assert message.endswith("line 11: dose_mg: 'x' is not a number; ... and 3 more")


def test_malformed_rows_are_refused_even_when_others_are_good() -> None:
    assert error(given_csv(mtx("2026-12-01"), mtx("2026-12-04", route="sc"), mtx("2026-12-08"))).startswith(
        "GIVEN: GIVEN.csv: 1 malformed row: line 3: route:"
    )


VALID = " (valid: date, time, drug, dose_mg, route, lot, initials)"


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("date,drug,dose_mg", "line 1: missing column 'route'" + VALID),
        ("date,drug,dose,route", "line 1: unknown column 'dose'; missing column 'dose_mg'" + VALID),
        ("date,drug,dose_mg,route,notes", "line 1: unknown column 'notes'" + VALID),
        ("date,drug,dose_mg,route,Route", "line 1: duplicate column 'route'" + VALID),
        ("date,drug,dose_mg,route,", "line 1: unknown column ''" + VALID),
        (
            "date;drug;dose_mg;route",
            "line 1: unknown column 'date;drug;dose_mg;route'; missing columns 'date', 'drug', 'dose_mg', "
            "'route'; the first row must be a header such as date,time,drug,dose_mg,route,lot,initials "
            "(comma-separated, not semicolons)" + VALID,
        ),
    ],
)
def test_header_problems_name_the_column_and_the_valid_ones(header: str, message: str) -> None:
    assert error(given_csv(mtx("2026-12-01"), header=header)) == f"GIVEN: GIVEN.csv: {message}"


def test_header_after_blank_lines_is_named_by_its_line() -> None:
    assert error(b"\n\n" + given_csv(mtx("2026-12-01"), header="date,drug,route")).startswith(
        "GIVEN: GIVEN.csv: line 3: missing column 'dose_mg'"
    )


def test_data_without_a_header_is_refused() -> None:
    message = error(given_csv(mtx("2026-12-04"), header=mtx("2026-12-01")))
    assert "unknown columns '2026-12-01', 'methotrexate', '15', 'ommaya'" in message
    assert "the first row must be a header" in message


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "GIVEN: GIVEN.csv has no administrations (the file is empty)"),
        (b"\xef\xbb\xbf", "GIVEN: GIVEN.csv has no administrations (the file is empty)"),
        (b"\n \n", "GIVEN: GIVEN.csv has no administrations (the file is empty)"),
        (b"date,drug,dose_mg,route\n", "GIVEN: GIVEN.csv has no administrations (only a header)"),
        (
            b"\xef\xbb\xbfdate,drug,dose_mg,route\n\n\n",
            "GIVEN: GIVEN.csv has no administrations (only a header)",
        ),
    ],
)
def test_empty_file_and_header_only(data: bytes, message: str) -> None:
    assert error(data) == message


def test_source_name_is_used_in_messages() -> None:
    with pytest.raises(InputError, match=r"^GIVEN: ward-7\.csv has no administrations"):
        parse_given(b"", source="ward-7.csv")


def test_not_utf8_is_refused_with_its_line() -> None:
    data = given_csv(mtx("2026-12-01"), mtx("2026-12-04")).replace(
        b"12-04,methotrexate", b"12-04,m\xe9thotrexate"
    )
    assert error(data) == "GIVEN: GIVEN.csv: line 3: not UTF-8 text; save the file as 'CSV UTF-8'"


def test_unclosed_quote_is_refused() -> None:
    assert error(given_csv(mtx("2026-12-01"), '2026-12-04,"methotrexate,15,ommaya', mtx("2026-12-08"))) == (
        "GIVEN: GIVEN.csv: 1 malformed row: line 3: a quoted field is never closed"
    )


# --- renderers -----------------------------------------------------------------------------------


def sample_report(plan: Plan) -> Report:
    data = given_csv(
        "2026-12-01,09:10,Methotrexate,15,ommaya,A12,JS",
        '2026-12-05,,methotrexate,12,lumbar,=HYPERLINK("http://x"),+JS',
        "2026-12-09,,@cytarabine,50,ommaya,,",
        "2026-12-16,,methotrexate,15,ommaya,,",  # 1 day after dose 5 (12-15)
        "2026-12-17,,methotrexate,15,ommaya,,",  # 1 day before dose 6 (12-18)
        header="date,time,drug,dose_mg,route,lot,initials",
    )
    return reconcile(plan, parse_given(data), as_of=D("2026-12-20"))


def test_render_lines(plan: Plan) -> None:
    lines = render_lines(sample_report(plan))
    assert lines[0] == (
        f"Reconciliation against plan revision 0 ({plan.fingerprint[:19]}) as of 2026-12-20; window 2 days"
    )
    assert lines[1].split() == ["planned", "dose", "drug", "mg", "route", "record", "outcome"]
    body = [" ".join(line.split()) for line in lines]
    assert "2026-12-01 1/18 methotrexate 15 ommaya line 2, lot A12, JS given" in body
    assert (
        '2026-12-04 2/18 methotrexate 15 ommaya line 3, lot =HYPERLINK("http://x"), +JS wrong route: given lumbar, '
        "planned ommaya; wrong dose: given 12 mg, planned 15 mg; late 1 day (given 2026-12-05)"
    ) in body
    assert "2026-12-08 3/18 methotrexate 15 ommaya missed" in body
    assert "2026-12-15 5/18 methotrexate 15 ommaya line 5 late 1 day (given 2026-12-16)" in body
    assert "2026-12-18 6/18 methotrexate 15 ommaya line 6 early 1 day (given 2026-12-17)" in body
    assert "2026-12-22 7/18 methotrexate 15 ommaya due" in body
    assert (
        "- - @cytarabine - - line 4 unplanned: given 2026-12-09, 50 mg, ommaya; no planned dose of @cytarabine"
    ) in body
    assert "@cytarabine 0 0 50 +50" in body
    assert "methotrexate 90 270 57 -33" in body
    assert lines[-1] == "6 discrepancies"


def test_render_lines_counts_one_discrepancy(plan: Plan) -> None:
    assert render_lines(check(plan, mtx("2026-12-02"), as_of="2026-12-02"))[-1] == "1 discrepancy"


def test_render_csv_columns_and_formula_neutralisation(plan: Plan) -> None:
    data = render_csv(sample_report(plan))
    rows = list(csv.DictReader(io.StringIO(data.decode())))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert len(rows) == 19
    second = rows[1]
    assert second["lot"] == '\'=HYPERLINK("http://x")'
    assert second["initials"] == "'+JS"
    assert (second["outcome"], second["days_off"], second["given_mg"], second["planned_mg"]) == (
        "wrong-route",
        "1",
        "12",
        "15",
    )
    assert second["issues"] == (
        "wrong route: given lumbar, planned ommaya; wrong dose: given 12 mg, planned 15 mg; late 1 day (given 2026-12-05)"
    )
    assert second["uid"] == next(e.uid for e in plan.events if e.kind == "it-dose" and e.number == 2)
    (cytarabine,) = [r for r in rows if r["outcome"] == "unplanned"]
    assert cytarabine["drug"] == "'@cytarabine" and cytarabine["line"] == "4" and cytarabine["uid"] == ""
    assert (rows[4]["outcome"], rows[4]["days_off"]) == ("late", "1")
    # render_rows neutralises every cell starting with '-', a negative number too
    assert (rows[5]["outcome"], rows[5]["days_off"]) == ("early", "'-1")
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row.values())


def test_render_json_has_everything_in_sorted_order(plan: Plan) -> None:
    report = sample_report(plan)
    data = render_json(report)
    assert data.endswith(b"}\n")
    doc = json.loads(data)
    assert data.decode() == json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    assert doc["plan"] == {"fingerprint": plan.fingerprint, "revision": 0}
    assert (doc["as_of"], doc["window"], doc["discrepancies"], doc["matches"]) == ("2026-12-20", 2, 6, False)
    assert len(doc["rows"]) == len(report.rows)
    second = doc["rows"][1]
    assert [i["code"] for i in second["issues"]] == ["wrong-route", "wrong-dose", "late"]
    assert second["given"]["lot"] == '=HYPERLINK("http://x")' and second["given"]["line"] == 3
    assert second["planned"]["number"] == 2 and second["planned"]["dose_mg"] == 15
    assert doc["totals"] == [
        {
            "drug": "@cytarabine",
            "given_mg": 50,
            "given_minus_planned_due_mg": 50,
            "planned_due_mg": 0,
            "planned_total_mg": 0,
        },
        {
            "drug": "methotrexate",
            "given_mg": 57,
            "given_minus_planned_due_mg": -33,
            "planned_due_mg": 90,
            "planned_total_mg": 270,
        },
    ]


def test_renderers_are_deterministic(registry: Registry) -> None:
    """Two plans built and two records parsed separately render to the same bytes."""
    first = sample_report(make_plan(registry))
    second = sample_report(make_plan(registry))
    assert first is not second
    assert render_json(first) == render_json(second)
    assert render_csv(first) == render_csv(second)
    assert render_lines(first) == render_lines(second)


# --- property ------------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(fields=plan_fields(), data=st.data())
def test_doses_given_on_the_day_leave_only_the_omitted_ones(
    registry: Registry, fields: dict[str, object], data: st.DataObject
) -> None:
    plan = make_plan(registry, **fields)
    # IT doses and systemic infusions are reconciled (tablets, taken at home, are not)
    doses = sorted((e for e in plan.events if e.kind in ("it-dose", "infusion")), key=lambda e: e.date)
    given_doses = data.draw(st.lists(st.sampled_from(doses), unique_by=lambda e: e.uid))
    window = data.draw(st.integers(0, 30))
    as_of = data.draw(st.dates(doses[0].date - dt.timedelta(days=5), doses[-1].date + dt.timedelta(days=40)))
    rows = data.draw(st.permutations([f"{e.date},{e.drug},{e.dose_mg},{e.route}" for e in given_doses]))
    record = parse_given(given_csv(*rows)) if rows else ()
    report = reconcile(plan, record, window, as_of=as_of)

    given_uids = {e.uid for e in given_doses}
    omitted = [e for e in doses if e.uid not in given_uids]
    assert {r.planned.uid for r in report.rows if r.outcome == "given" and r.planned} == given_uids
    assert sorted(
        r.planned.uid for r in report.rows if r.outcome in ("missed", "due") and r.planned
    ) == sorted(e.uid for e in omitted)
    missed = {e.uid for e in omitted if e.date + dt.timedelta(days=window) < as_of}
    assert {r.planned.uid for r in report.rows if r.outcome == "missed" and r.planned} == missed
    assert report.discrepancies == len(missed)
    assert not unplanned(report)
    assert report.matches == (not missed)
