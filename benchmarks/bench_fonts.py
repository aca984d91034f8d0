"""What the embedded Unicode font costs (issue 18), measured on this machine by `make bench`.

Every lmsched PDF embeds a subset of Noto Sans (regular, bold, italic) instead of naming the PDF
standard Helvetica. That costs three things, each measured here:

- once per process: parsing the three TrueType files (`fonts.register`), in fresh interpreters
  (median of REPEAT), against importing the module alone;
- per PDF: building and writing the subsets when the document is saved. The same one-page
  document (the demo staff sheet's text, regular and bold lines) is drawn with Helvetica and with
  the embedded font, in one process, median of REPEAT renders each: the difference is what
  embedding adds to every PDF, and the size difference what it adds to the file;
- the demo's two PDFs as lmsched writes them now (median render time and size), for scale.

Results go to benchmarks/results/fonts.json and fonts.md. No target: the issue asks to show the
cost, not to meet a figure.
"""

from __future__ import annotations

import io
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
REPEAT = int(os.environ.get("BENCH_REPEAT", "21"))
NOW = "2026-11-23T09:00:00-05:00"


def _median_ms(run: object, repeat: int = REPEAT) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        run()  # type: ignore[operator]
        times.append((time.perf_counter() - t0) * 1000)
    return round(statistics.median(times), 2)


def _fresh(code: str) -> float:
    def once() -> None:
        subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)

    once()
    return _median_ms(once)


def _page(lines: list[str], regular: str, bold: str) -> bytes:
    from reportlab.lib.pagesizes import LETTER
    from reportlab.pdfgen.canvas import Canvas

    out = io.BytesIO()
    c = Canvas(out, pagesize=LETTER, invariant=1)
    y = 760.0
    for i, line in enumerate(lines):
        c.setFont(bold if i % 5 == 0 else regular, 9)
        c.drawString(36, y, line[:120])
        y -= 11
        if y < 40:
            c.showPage()
            y = 760.0
    c.save()
    return out.getvalue()


def main() -> int:
    sys.path.insert(0, str(ROOT))
    from scheduler.catalogs import load_language
    from scheduler.export.pdf import render
    from scheduler.export.pdf.fonts import BOLD, REGULAR, Fonts, register
    from scheduler.inputs import build_request
    from scheduler.schedule import build_plan
    from scheduler.service import _calendar, _registry

    os.environ.setdefault("LMSCHED_SITE_KEY_FILE", str(ROOT / "examples" / "demo-site-key"))
    request = build_request({}, ROOT / "examples" / "patient-adult.toml").request
    import datetime as dt

    plan = build_plan(request, _registry(), dt.datetime.fromisoformat(NOW), _calendar(request.clinic))

    register_ms = _fresh("from scheduler.export.pdf import fonts; fonts.register()")
    import_ms = _fresh("from scheduler.export.pdf import fonts")

    from pypdf import PdfReader

    staff = render(plan, audience="staff")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(staff)).pages)
    lines = [line for line in text.splitlines() if line.strip()]
    register(Fonts())
    helvetica = _page(lines, "Helvetica", "Helvetica-Bold")
    embedded = _page(lines, REGULAR, BOLD)
    helvetica_ms = _median_ms(lambda: _page(lines, "Helvetica", "Helvetica-Bold"))
    embedded_ms = _median_ms(lambda: _page(lines, REGULAR, BOLD))

    spanish = load_language("es", allow_unreviewed=True)
    patient_ms = _median_ms(lambda: render(plan, audience="patient"))
    staff_ms = _median_ms(lambda: render(plan, audience="staff"))
    large_ms = _median_ms(lambda: render(plan, audience="patient", lang=spanish, large_print=True))
    result = {
        "register_once_per_process_ms": round(register_ms - import_ms, 1),
        "embedding_per_pdf_ms": round(embedded_ms - helvetica_ms, 2),
        "embedding_per_pdf_bytes": len(embedded) - len(helvetica),
        "same_text_helvetica_ms": helvetica_ms,
        "same_text_embedded_ms": embedded_ms,
        "demo_patient_calendar_ms": patient_ms,
        "demo_patient_calendar_bytes": len(render(plan, audience="patient")),
        "demo_staff_sheet_ms": staff_ms,
        "demo_staff_sheet_bytes": len(staff),
        "demo_spanish_large_print_ms": large_ms,
        "repeat": REPEAT,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "fonts.json").write_text(json.dumps(result, indent=2) + "\n")
    table = [
        "| what | cost |",
        "|---|---|",
        f"| loading Noto Sans (3 faces), once per process | {result['register_once_per_process_ms']} ms |",
        f"| embedding (subsets written at save), per PDF | {result['embedding_per_pdf_ms']} ms, "
        f"{result['embedding_per_pdf_bytes'] / 1000:.0f} kB |",
        f"| demo patient calendar | {patient_ms} ms, {result['demo_patient_calendar_bytes'] / 1000:.0f} kB |",
        f"| demo staff sheet | {staff_ms} ms, {len(staff) / 1000:.0f} kB |",
        f"| demo calendar in Spanish, large print | {large_ms} ms |",
    ]
    (RESULTS / "fonts.md").write_text("\n".join(table) + "\n")
    print("Embedded font (issue 18):")
    print("\n".join(table))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
