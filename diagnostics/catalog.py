"""Code catalogs: family + code -> title, likely cause, remedy, severity, loaded from YAML and CSV data files.

Sources are layered: the built-in directory, then the operator's directory, then technicians' edits; a later
source wins per (family, code). The same family may appear in several files: its codes merge.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from diagnostics.errors import CatalogError

SEVERITIES = ("info", "warning", "error", "critical")
CATALOG_SUFFIXES = (".yaml", ".yml", ".csv")
CSV_COLUMNS = ("family", "vendor", "device", "code", "title", "cause", "remedy", "severity")
TEXT_FIELDS = ("title", "cause", "remedy")
MAX_LENGTHS = {"family": 100, "code": 100, "vendor": 200, "device": 100, "title": 300, "cause": 4000,
               "remedy": 4000}  # the findings table's columns bound family, code and title

Key = tuple[str, str]  # (family, code)
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser: ~10x faster on big catalogs


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """What is known about one code of one family, and where that knowledge came from."""

    family: str
    code: str
    title: str
    cause: str
    remedy: str
    severity: str
    vendor: str = ""
    device: str = ""  # printer, washer, air-conditioner, boiler, pc, network, pos, vehicle, ...
    origin: str = ""  # the file it was read from, or "technician"

    @property
    def key(self) -> Key:
        """(family, code): entries with the same key replace each other."""
        return (self.family, self.code)


def check_entry(entry: CatalogEntry, where: str = "") -> CatalogEntry:
    """The entry if every field is usable, else CatalogError naming the entry (and `where` it came from)."""
    name = f"{where}: " if where else ""
    name += f"{entry.family or '?'}/{entry.code or '?'}"
    for key in ("family", "code"):
        value = getattr(entry, key)
        if not value or value != value.strip():
            raise CatalogError(f"{name}: {key} must be non-empty without surrounding spaces")
        if any(ord(c) < 32 for c in value):
            raise CatalogError(f"{name}: {key} must not contain control characters")
    missing = [k for k in (*TEXT_FIELDS, "severity") if not getattr(entry, k).strip()]
    if missing:
        raise CatalogError(f"{name}: lacks {', '.join(missing)}")
    if entry.severity not in SEVERITIES:
        raise CatalogError(f"{name}: severity {entry.severity!r} is not one of {', '.join(SEVERITIES)}")
    for key, limit in MAX_LENGTHS.items():
        if len(getattr(entry, key)) > limit:
            raise CatalogError(f"{name}: {key} is longer than {limit} characters")
    return entry


@dataclass(frozen=True, slots=True)
class CatalogDelta:
    """What changed between two versions of a catalog (small enough to ship to worker processes)."""

    base_version: int
    version: int
    upserts: tuple[CatalogEntry, ...] = ()
    removed: tuple[Key, ...] = ()


class Catalog:
    """Lookup of codes; a code may exist in several families, the family hint picks one."""

    def __init__(self, entries: Iterable[CatalogEntry] = ()) -> None:
        self._by_key: dict[Key, CatalogEntry] = {}
        for e in entries:
            self._by_key[e.key] = e  # a replaced entry keeps its place: lookups by code prefer the first family
        self._by_code: dict[str, list[CatalogEntry]] = {}
        for e in self._by_key.values():
            self._by_code.setdefault(e.code, []).append(e)

    def __len__(self) -> int:
        return len(self._by_key)

    def __iter__(self) -> Iterator[CatalogEntry]:
        return iter(self._by_key.values())

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def lookup(self, code: str, family: str | None = None) -> CatalogEntry | None:
        """The entry for code (preferring the family hint), or None if unknown."""
        if family is not None and (family, code) in self._by_key:
            return self._by_key[(family, code)]
        matches = self._by_code.get(code, [])
        return matches[0] if matches else None

    def get(self, family: str, code: str) -> CatalogEntry | None:
        """The entry of exactly this family and code."""
        return self._by_key.get((family, code))

    def codes(self) -> list[str]:
        """All catalogued codes."""
        return sorted(self._by_code)

    def families(self) -> dict[str, list[CatalogEntry]]:
        """Entries by family, families and codes sorted."""
        out: dict[str, list[CatalogEntry]] = {}
        for e in sorted(self._by_key.values(), key=lambda e: (e.family, e.code)):
            out.setdefault(e.family, []).append(e)
        return out

    def search(self, text: str = "", *, family: str | None = None, device: str | None = None) -> list[CatalogEntry]:
        """Entries matching every filter, sorted by family and code; text matches code, title, cause, remedy, vendor."""
        needle = text.strip().casefold()
        out = []
        for e in self._by_key.values():
            if family and e.family != family:
                continue
            if device and e.device != device:
                continue
            if needle and not any(needle in v.casefold() for v in (e.code, e.title, e.cause, e.remedy, e.vendor,
                                                                  e.family)):
                continue
            out.append(e)
        return sorted(out, key=lambda e: (e.family, e.code))

    def overlaid(self, upserts: Iterable[CatalogEntry] = (), removed: Iterable[Key] = ()) -> Catalog:
        """A new catalog with these entries added or replaced and these keys removed (self is unchanged)."""
        gone = set(removed)
        kept = [e for e in self._by_key.values() if e.key not in gone]
        return Catalog([*kept, *upserts])

    def diff(self, newer: Catalog, base_version: int, version: int) -> CatalogDelta:
        """The delta that turns self into newer."""
        upserts = tuple(e for e in newer if self._by_key.get(e.key) != e)
        removed = tuple(k for k in self._by_key if newer.get(*k) is None)
        return CatalogDelta(base_version, version, upserts, removed)

    def applied(self, delta: CatalogDelta) -> Catalog:
        """self with a delta applied."""
        return self.overlaid(delta.upserts, delta.removed)


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _yaml_entries(path: Path, raw: Any) -> Iterator[CatalogEntry]:
    if not isinstance(raw, dict) or not isinstance(raw.get("families"), dict):
        raise CatalogError(f"{path}: top level must be a mapping with 'families'")
    for family, body in raw["families"].items():
        codes = body.get("codes") if isinstance(body, dict) else None
        if not isinstance(codes, dict):
            raise CatalogError(f"{path}: family {family!r} has no 'codes' mapping")
        assert isinstance(body, dict)
        for code, info in codes.items():
            if not isinstance(code, str):
                # YAML turns 13.20 into 13.2 and 010 into 8: a code that is not quoted is not reliable
                raise CatalogError(f"{path}: {family}/{code}: YAML read the code as {type(code).__name__}; "
                                   f"quote it as the device shows it")
            if not isinstance(info, dict):
                raise CatalogError(f"{path}: {family}/{code} must be a mapping of title, cause, remedy, severity")
            yield check_entry(CatalogEntry(
                family=_text(family), code=code, title=_text(info.get("title")), cause=_text(info.get("cause")),
                remedy=_text(info.get("remedy")), severity=_text(info.get("severity")),
                vendor=_text(info.get("vendor", body.get("vendor"))),
                device=_text(info.get("device", body.get("device"))), origin=path.name), str(path))


def _csv_entries(path: Path, text: str) -> Iterator[CatalogEntry]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = tuple(h.strip() for h in reader.fieldnames or ())
    missing = [c for c in CSV_COLUMNS if c not in header]
    if missing:
        raise CatalogError(f"{path}: header row lacks column(s) {', '.join(missing)} "
                           f"(expected {','.join(CSV_COLUMNS)})")
    for row in reader:
        line = reader.line_num
        if None in row or any(v is None for v in row.values()):
            raise CatalogError(f"{path}: line {line} has {'more' if None in row else 'fewer'} fields than the header")
        cells = {k.strip(): v for k, v in row.items()}
        if not any(v.strip() for v in cells.values()):
            continue  # blank line
        yield check_entry(CatalogEntry(
            family=cells["family"].strip(), code=cells["code"].strip(), title=cells["title"].strip(),
            cause=cells["cause"].strip(), remedy=cells["remedy"].strip(), severity=cells["severity"].strip(),
            vendor=cells["vendor"].strip(), device=cells["device"].strip(), origin=path.name), f"{path} line {line}")


def parse_catalog_file(path: Path) -> list[CatalogEntry]:
    """Every entry of one YAML or CSV catalog file; CatalogError names the file and the entry at fault."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")  # a spreadsheet's BOM is not part of the header
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogError(f"cannot read catalog {path}: {exc}") from exc
    if path.suffix.lower() == ".csv":
        try:
            entries = list(_csv_entries(path, text))
        except csv.Error as exc:
            raise CatalogError(f"{path}: not valid CSV: {exc}") from exc
    else:
        try:
            raw = yaml.load(text, Loader=_YAML_LOADER)  # a safe loader (no Python objects)
        except yaml.YAMLError as exc:
            raise CatalogError(f"{path}: not valid YAML: {exc}") from exc
        entries = list(_yaml_entries(path, raw))
    seen: set[Key] = set()
    for e in entries:
        if e.key in seen:
            raise CatalogError(f"{path}: {e.family}/{e.code} appears twice")
        seen.add(e.key)
    return entries


def catalog_files(directory: Path) -> list[Path]:
    """The catalog files of a directory in load order (by name)."""
    if not directory.is_dir():
        raise CatalogError(f"catalog directory {directory} does not exist")
    return sorted(p for p in directory.iterdir() if p.is_file() and p.suffix.lower() in CATALOG_SUFFIXES)


def load_catalog(path: Path) -> Catalog:
    """One catalog file, or every file of a directory (later files win); raises CatalogError on any problem."""
    path = Path(path)
    if path.is_dir():
        return Catalog(e for f in catalog_files(path) for e in parse_catalog_file(f))
    return Catalog(parse_catalog_file(path))


@dataclass(frozen=True)
class CatalogLoad:
    """The catalog of every usable file, and a sentence for each operator file that was skipped."""

    catalog: Catalog
    problems: list[str] = field(default_factory=list)


def load_catalogs(builtin: Path, extra_dir: Path | None = None) -> CatalogLoad:
    """Built-in catalog (must load) plus the operator's directory on top (bad files are skipped and reported)."""
    entries = list(load_catalog(builtin))
    problems: list[str] = []
    if extra_dir is not None:
        try:
            files = catalog_files(Path(extra_dir))
        except CatalogError as exc:
            files, problems = [], [str(exc)]
        for f in files:
            try:
                entries.extend(parse_catalog_file(f))
            except CatalogError as exc:
                problems.append(f"skipped: {exc}")
    return CatalogLoad(Catalog(entries), problems)
