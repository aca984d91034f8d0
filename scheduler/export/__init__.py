"""Exporters: each is a pure `render(plan, ...) -> bytes` (or lines); writing is separate."""
