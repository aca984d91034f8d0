"""Find, load and validate templates: the registry the core plans from.

Templates are data (one TOML file each under templates/regimens, radiotherapy, medications,
systemic, monitoring), so a new regimen or check is a new file. Loading is I/O and lives here at
the edge; the core receives a `Registry` and never opens a file.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from .errors import TemplateError
from .models import Medication, Monitoring, Radiotherapy, Regimen, Systemic, Template

__all__ = ["KINDS", "Registry", "default_template_dirs", "load_registry"]

KINDS = {
    "regimens": "regimen",
    "radiotherapy": "radiotherapy",
    "medications": "medication",
    "systemic": "systemic",
    "monitoring": "monitoring",
}
_ADAPTER: TypeAdapter[Template] = TypeAdapter(Template)


def default_template_dirs() -> list[Path]:
    """The shipped templates (inside the wheel, or the checkout's top-level templates/), then
    any folders in LMSCHED_TEMPLATE_PATH (os.pathsep-separated) for a centre's own templates."""
    here = Path(__file__).resolve().parent
    shipped = next((p for p in (here / "templates", here.parent / "templates") if p.is_dir()), None)
    dirs = [shipped] if shipped else []
    extra = os.environ.get("LMSCHED_TEMPLATE_PATH", "")
    dirs += [Path(p) for p in extra.split(os.pathsep) if p]
    return dirs


@dataclass(frozen=True)
class Registry:
    templates: Mapping[str, Template]
    sources: Mapping[str, str]

    def __iter__(self) -> Iterator[Template]:
        order = list(KINDS.values())
        return iter(sorted(self.templates.values(), key=lambda t: (order.index(t.kind), t.id)))

    def ids(self, kind: str | None = None) -> list[str]:
        return sorted(t.id for t in self.templates.values() if kind is None or t.kind == kind)

    def get(self, template_id: str, kind: str, field: str) -> Any:
        found = self.templates.get(template_id)
        if found is None or found.kind != kind:
            raise TemplateError(
                f"unknown {kind} template '{template_id}'",
                template=template_id,
                field=field,
                choices=self.ids(kind),
            )
        return found

    def regimen(self, template_id: str) -> Regimen:
        found: Regimen = self.get(template_id, "regimen", "regimen")
        return found

    def radiotherapy(self, template_id: str) -> Radiotherapy:
        found: Radiotherapy = self.get(template_id, "radiotherapy", "rt")
        return found

    def systemic(self, template_id: str) -> Systemic:
        found: Systemic = self.get(template_id, "systemic", "systemic")
        return found

    def monitoring(self) -> list[Monitoring]:
        """Every check template, in id order."""
        return [t for t in self if isinstance(t, Monitoring)]

    def medication_for(self, starts_with: str) -> Medication | None:
        meds = [t for t in self if isinstance(t, Medication) and t.starts_with == starts_with]
        return meds[0] if meds else None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise TemplateError(f"{path}: not valid TOML ({exc})", template=path.stem) from None


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err["loc"][1:])
    return f"{loc}: {err['msg']}" if loc else err["msg"]


def load_registry(dirs: list[Path] | None = None) -> Registry:
    dirs = default_template_dirs() if dirs is None else dirs
    templates: dict[str, Template] = {}
    origin: dict[str, Path] = {}
    sources: dict[str, str] = {}
    for base in dirs:
        src = base / "sources.toml"
        if src.is_file():
            for key, entry in _read_toml(src).items():
                sources[key] = str(entry.get("citation", "")) if isinstance(entry, dict) else ""
        for folder, kind in KINDS.items():
            for path in sorted((base / folder).glob("*.toml")):
                data = _read_toml(path)
                try:
                    tpl = _ADAPTER.validate_python({"kind": kind, **data})
                except ValidationError as exc:
                    raise TemplateError(f"{path}: {_first_error(exc)}", template=path.stem) from None
                if tpl.kind != kind:
                    raise TemplateError(
                        f"{path}: kind '{tpl.kind}' does not belong in {folder}/", template=tpl.id
                    )
                if tpl.id != path.stem:
                    raise TemplateError(f"{path}: id '{tpl.id}' must match the file name", template=tpl.id)
                if tpl.id in templates:
                    raise TemplateError(
                        f"{path}: id '{tpl.id}' is already defined in {origin[tpl.id]}", template=tpl.id
                    )
                templates[tpl.id] = tpl
                origin[tpl.id] = path
    registry = Registry(templates=templates, sources=sources)
    _check_references(registry)
    return registry


def _check_references(registry: Registry) -> None:
    for tpl in registry:
        cited = list(tpl.sources)
        if isinstance(tpl, Regimen) and tpl.dose is not None:
            cited += list(tpl.dose.sources)
            ceiling = tpl.dose.ceiling_from
            if ceiling is not None:
                other = registry.templates.get(ceiling)
                if not isinstance(other, Regimen) or other.dose is None or other.dose.rule != "age-band":
                    raise TemplateError(
                        f"ceiling_from '{ceiling}' is not an age-band regimen",
                        template=tpl.id,
                        field="dose.ceiling_from",
                    )
        if isinstance(tpl, Medication) and tpl.renal is not None:
            cited += list(tpl.renal.sources)
        if isinstance(tpl, Systemic):
            for part in tpl.components:
                cited += list(part.dose.sources) + (list(part.dose.renal.sources) if part.dose.renal else [])
        unknown = sorted(set(cited) - set(registry.sources))
        if unknown:
            raise TemplateError(
                f"cites unknown source ids {', '.join(unknown)}",
                template=tpl.id,
                field="sources",
                choices=sorted(registry.sources),
            )
