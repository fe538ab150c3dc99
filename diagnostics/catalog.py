"""The code catalog: family + code -> title, likely cause, remedy, severity (from a YAML data file)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from diagnostics.errors import CatalogError

SEVERITIES = ("info", "warning", "error", "critical")


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """What is known about one code of one family."""

    family: str
    code: str
    title: str
    cause: str
    remedy: str
    severity: str


class Catalog:
    """Lookup of codes; a code may exist in several families, the family hint picks one."""

    def __init__(self, entries: list[CatalogEntry]) -> None:
        self._by_family: dict[tuple[str, str], CatalogEntry] = {}
        self._by_code: dict[str, list[CatalogEntry]] = {}
        for e in entries:
            self._by_family[(e.family, e.code)] = e
            self._by_code.setdefault(e.code, []).append(e)

    def __len__(self) -> int:
        return len(self._by_family)

    def lookup(self, code: str, family: str | None = None) -> CatalogEntry | None:
        """The entry for code (preferring the family hint), or None if unknown."""
        if family is not None and (family, code) in self._by_family:
            return self._by_family[(family, code)]
        matches = self._by_code.get(code, [])
        return matches[0] if matches else None

    def codes(self) -> list[str]:
        """All catalogued codes."""
        return sorted(self._by_code)


def load_catalog(path: Path) -> Catalog:
    """Parse and validate the catalog file; raises CatalogError naming the problem."""
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CatalogError(f"cannot read catalog {path}: {exc}") from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("families"), dict):
        raise CatalogError(f"catalog {path}: top level must be a mapping with 'families'")
    entries: list[CatalogEntry] = []
    for family, body in raw["families"].items():
        codes = body.get("codes") if isinstance(body, dict) else None
        if not isinstance(codes, dict):
            raise CatalogError(f"catalog {path}: family {family!r} has no 'codes' mapping")
        for code, info in codes.items():
            if not isinstance(info, dict):
                raise CatalogError(f"catalog {path}: {family}/{code} must be a mapping")
            missing = [k for k in ("title", "cause", "remedy", "severity") if not info.get(k)]
            if missing:
                raise CatalogError(f"catalog {path}: {family}/{code} lacks {', '.join(missing)}")
            if info["severity"] not in SEVERITIES:
                raise CatalogError(f"catalog {path}: {family}/{code} severity {info['severity']!r} not in {SEVERITIES}")
            entries.append(CatalogEntry(str(family), str(code), str(info["title"]), str(info["cause"]),
                                        str(info["remedy"]), str(info["severity"])))
    return Catalog(entries)
