"""Plain-language labels for events, shared by every exporter so they all say the same thing."""

from __future__ import annotations

from ..plan import Event

__all__ = ["EDITED_PATIENT", "EDITED_STAFF", "WEEKDAY", "dose_text", "event_label", "route_text", "site_name"]

# What every output says about a hand-edited plan accepted with --accept-edited (plan.edited).
EDITED_PATIENT = "This calendar was changed by hand after it was made. Check every date with your care team."
EDITED_STAFF = "EDITED by hand after lmsched wrote it: not computed or checked by lmsched."

WEEKDAY = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_ROUTE = {"ommaya": "Ommaya", "lumbar": "lumbar", "oral": "oral", "external beam": "RT"}
_SITE = {"wbrt": "whole brain", "focal": "focal", "csi": "craniospinal"}


def site_name(event: Event) -> str:
    """'whole brain', 'focal', 'craniospinal' for an RT fraction (its phase is the site)."""
    return _SITE.get(event.phase, event.phase)


def route_text(event: Event) -> str:
    return _ROUTE.get(event.route or "", event.route or "")


def dose_text(event: Event) -> str:
    if event.dose_mg is not None:
        return f"{event.dose_mg:g} mg"
    if event.dose_gy is not None:
        return f"{event.dose_gy:g} Gy"
    return ""


def event_label(event: Event) -> str:
    """'IT methotrexate 3/18', 'RT 3/10 whole brain', 'Memantine AM x7d'."""
    if event.kind == "it-dose":
        return f"IT {event.drug} {event.number}/{event.of}"
    if event.kind == "rt-fraction":
        return f"RT {event.number}/{event.of} {site_name(event)}"
    when = "AM" if event.phase.endswith("morning") else "PM"
    drug = (event.drug or "").capitalize()
    return f"{drug} {when} x{event.repeat_days}d" if event.repeat_days > 1 else f"{drug} {when}"
