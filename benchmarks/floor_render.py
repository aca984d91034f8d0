"""The rendering floor for `lmsched batch --formats ics,pdf --audience staff` (issue 20): the same
outputs written the obvious way, from the events lmsched itself planned.

A single process that reads each patient's plan JSON that lmsched wrote (so the event mix is
exactly lmsched's: IT doses, RT fractions, memantine, systemic courses, checks) and renders:

- a staff sheet with ReportLab platypus in the embedded Noto Sans: the same 13 columns as
  lmsched's (a paragraph per event cell, the heading row repeated on every page, a header and
  "Page X of Y" on every page), then the total planned dose per drug, the safety findings and
  the sign-off block;
- an iCalendar file with `icalendar`: one VEVENT per event with the staff summary and a
  description, the same two alarms (the day before at 18:00, and 2 hours before), and a
  VTIMEZONE made by icalendar from the zone (`Timezone.from_tzinfo`).

What it does not do, on purpose: validation, templates, the clinic calendar, rules, escaping
beyond paragraph markup, CalDAV keys, the agenda, the summary and clinic.ics.

Usage: python benchmarks/floor_render.py PLANS_DIR --out DIR
(PLANS_DIR/<patient>/plan.json, as `lmsched batch --formats json` writes them)
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from icalendar import Alarm, Calendar, Event, Timezone
from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.pagesizes import landscape, letter
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

FONTS = Path(__file__).resolve().parent.parent / "scheduler" / "fonts"
COLUMNS = (
    "#",
    "Date, time",
    "Event",
    "Dose (mg)",
    "Route, formulation",
    "Moved from",
    "Given (date/time)",
    "Initials",
    "Lot",
    "2nd check initials",
    "Time out",
    "CSF out (mL)",
    "Sample sent",
)
WIDTHS = (20, 64, 162, 50, 80, 60, 80, 36, 44, 40, 36, 36, 36)  # 744 pt: the frame of the page


def fonts() -> None:
    for name, file in (("F", "NotoSans-Regular.ttf"), ("FB", "NotoSans-Bold.ttf")):
        pdfmetrics.registerFont(TTFont(name, str(FONTS / file)))
    pdfmetrics.registerFontFamily("F", normal="F", bold="FB", italic="F", boldItalic="FB")


def label(e: dict[str, Any]) -> str:
    what = e.get("drug") or e.get("course") or e["kind"]
    return f"{e['kind']} {what} {e.get('number') or ''}/{e.get('of') or ''}"


def staff_pdf(path: Path, plan: dict[str, Any]) -> None:
    body = ParagraphStyle("b", fontName="F", fontSize=9, leading=11)
    head = ParagraphStyle("h", parent=body, fontName="FB")
    h2 = ParagraphStyle("h2", parent=body, fontName="FB", fontSize=11, leading=14, spaceBefore=10)
    rows: list[list[Any]] = [[Paragraph(c, head) for c in COLUMNS]]
    totals: dict[tuple[str, str], float] = defaultdict(float)
    for n, e in enumerate(plan["events"], 1):
        notes = "".join(f"<br/><i>{escape(x)}</i>" for x in e.get("notes") or ())
        event = f"<b>{escape(label(e))}</b><br/>Phase: {escape(e.get('phase') or '')}{notes}"
        dose = "" if e.get("dose_mg") is None else f"{e['dose_mg']:g}"
        moved = (
            f"{e['shifted_from']}<br/>{escape(e.get('shift_reason') or '')}" if e.get("shifted_from") else ""
        )
        rows.append(
            [
                str(n),
                Paragraph(f"{e['date']}<br/>{e['time']}", body),
                Paragraph(event, body),
                dose,
                Paragraph(f"{escape(e.get('route') or '')}<br/>{escape(e.get('formulation') or '')}", body),
                Paragraph(moved, body),
                *[""] * 7,
            ]
        )
        if e.get("dose_mg") is not None:
            totals[(e.get("drug") or e["kind"], e.get("route") or "")] += e["dose_mg"] * (
                e.get("repeat_days") or 1
            )
    style = TableStyle(
        [
            ("FONT", (0, 0), (-1, -1), "F", 9, 11),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("TOPPADDING", (0, 0), (-1, -1), 5),  # lmsched's rows: room to write
            ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
            ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
            ("BOX", (0, 0), (-1, -1), 0.75, colors.black),
            ("LINEBELOW", (0, 0), (-1, 0), 1.5, colors.black),
        ]
    )
    story: list[Any] = [Table(rows, colWidths=list(WIDTHS), style=style, repeatRows=1)]
    story.append(Paragraph("Total planned dose", h2))
    total_rows = [["Drug", "Route", "Total"]] + [
        [d, r, f"{mg:g} mg"] for (d, r), mg in sorted(totals.items())
    ]
    story.append(Table(total_rows, style=style, repeatRows=1))
    story.append(Paragraph("Safety findings", h2))
    found = [[Paragraph(h, head) for h in ("Severity", "Rule", "Message", "Sources")]]
    found += [
        [
            f["severity"],
            Paragraph(escape(f["rule"]), body),
            Paragraph(escape(f["message"]), body),
            ", ".join(f["sources"]),
        ]
        for f in plan["findings"]
    ]
    story.append(Table(found, colWidths=[60, 130, 400, 100], style=style, repeatRows=1))
    story.append(Paragraph("Sign-off", h2))
    sign = [
        ["Sign-off", "Name", "Signature", "Date/time"],
        ["Pharmacist verification", "", "", ""],
        ["Nurse check", "", "", ""],
    ]
    story += [
        Table(sign, colWidths=[180, 200, 180, 130], rowHeights=[None, 30, 30], style=style),
        Spacer(1, 1),
    ]
    patient = plan["patient"]
    pages: list[int] = []

    def on_page(canvas: Any, doc: Any) -> None:
        canvas.setFont("FB", 12)
        canvas.drawString(24, 588, f"Staff sheet: {patient.get('name') or ''} ({patient.get('id') or ''})")
        canvas.setFont("F", 9)
        canvas.drawString(24, 576, f"Plan {plan['fingerprint'][:23]}  revision {plan['revision']}")
        canvas.drawRightString(768, 20, f"Page {doc.page}")
        pages.append(doc.page)

    SimpleDocTemplate(
        str(path), pagesize=landscape(letter), leftMargin=18, rightMargin=18, topMargin=48, bottomMargin=36
    ).build(story, onFirstPage=on_page, onLaterPages=on_page)


def staff_ics(path: Path, plan: dict[str, Any]) -> None:
    cal = Calendar()
    cal.add("prodid", "-//lmsched rendering floor//EN")
    cal.add("version", "2.0")
    zones = sorted({e["tz"] for e in plan["events"]} - {"UTC"})
    for tz in zones:
        cal.add_component(Timezone.from_tzinfo(ZoneInfo(tz)))
    stamp = dt.datetime.fromisoformat(plan["created"]).astimezone(dt.UTC)
    for e in plan["events"]:
        start = dt.datetime.combine(
            dt.date.fromisoformat(e["date"]), dt.time.fromisoformat(e["time"]), tzinfo=ZoneInfo(e["tz"])
        )
        event = Event()
        event.add("uid", e["uid"])
        event.add("dtstamp", stamp)
        event.add("dtstart", start)
        event.add("dtend", start + dt.timedelta(minutes=e.get("duration_min") or 30))
        event.add("summary", label(e))
        dose = "" if e.get("dose_mg") is None else f"{e['dose_mg']:g} mg "
        event.add(
            "description",
            f"{dose}{e.get('route') or ''} {e.get('formulation') or ''}\n" + "\n".join(e.get("notes") or ()),
        )
        event.add("status", e["status"].upper())
        for trigger in (-(dt.timedelta(hours=start.hour + 6, minutes=start.minute)), -dt.timedelta(hours=2)):
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", label(e))
            alarm.add("trigger", trigger)
            event.add_component(alarm)
        cal.add_component(event)
    path.write_bytes(cal.to_ical())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Rendering floor: staff PDF + staff ICS from lmsched's plan JSON."
    )
    parser.add_argument("plans", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    rl_config.invariant = 1
    fonts()
    for plan_json in sorted(args.plans.glob("*/plan.json")):
        plan = json.loads(plan_json.read_text(encoding="utf-8"))
        folder = args.out / plan_json.parent.name
        folder.mkdir(parents=True, exist_ok=True)
        staff_pdf(folder / "plan.pdf", plan)
        staff_ics(folder / "plan.ics", plan)
    return 0


if __name__ == "__main__":
    sys.exit(main())
