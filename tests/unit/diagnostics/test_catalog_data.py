"""The built-in catalog data: every file of diagnostics/catalogs/ is well-formed, broad and written consistently."""

from __future__ import annotations

import re
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from diagnostics.catalog import SEVERITIES, Catalog, catalog_files, load_catalog
from diagnostics.config import DEFAULT_CATALOG

FILES = [p for p in catalog_files(DEFAULT_CATALOG) if p.suffix in (".yaml", ".yml")]
HRESULT_SHAPED = re.compile(r"0x[0-9a-f]{5,}", re.IGNORECASE)  # long hex: an HRESULT, NTSTATUS or stop code
CANONICAL_HEX = re.compile(r"0x[0-9A-F]{8}")


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    """The whole built-in directory, through the loader the server uses."""
    return load_catalog(DEFAULT_CATALOG)


class _StrictLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """PyYAML keeps the last of two equal keys without a word; a repeated code must fail instead."""


def _mapping_without_repeats(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    keys = [loader.construct_object(k) for k, _ in node.value]
    repeated = [k for k, n in Counter(keys).items() if n > 1]
    if repeated:
        raise AssertionError(f"line {node.start_mark.line + 1}: key(s) {repeated} appear twice in one mapping")
    return loader.construct_mapping(node)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_without_repeats)


@cache
def _raw(path: Path) -> dict[str, Any]:
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    assert isinstance(data, dict) and isinstance(data.get("families"), dict), path.name
    return data["families"]


@cache
def _entries() -> list[tuple[str, str, str, dict[str, Any]]]:
    """(file, family, code, fields) for every entry of every built-in file."""
    return [(path.name, family, code, info)
            for path in FILES for family, body in _raw(path).items() for code, info in body["codes"].items()]


def test_there_are_several_files_and_each_parses_with_pyyaml_without_repeated_keys():
    assert len(FILES) >= 8, [p.name for p in FILES]
    for path in FILES:
        families = _raw(path)
        assert families, f"{path.name} has no families"
        for family, body in families.items():
            assert isinstance(body, dict) and isinstance(body.get("codes"), dict) and body["codes"], (path, family)
            if path.name != "core.yaml":  # the former single catalog, kept as it was
                assert str(body.get("vendor", "")).strip(), f"{path.name}: {family} names no vendor"
                assert str(body.get("device", "")).strip(), f"{path.name}: {family} names no device"


def test_every_entry_has_the_four_fields_a_valid_severity_and_a_quoted_code():
    for name, family, code, info in _entries():
        where = f"{name}: {family}/{code}"
        assert isinstance(code, str), f"{where}: quote the code, YAML read it as {type(code).__name__}"
        assert code == code.strip() and code and "\n" not in code, where
        assert set(info) >= {"title", "cause", "remedy", "severity"}, where
        assert info["severity"] in SEVERITIES, where


def test_text_fields_are_sentences_not_fragments():
    for name, family, code, info in _entries():
        where = f"{name}: {family}/{code}"
        title = info["title"]
        assert isinstance(title, str) and 3 <= len(title) <= 120 and "\n" not in title, where
        assert not title.endswith("."), f"{where}: a title is a heading, not a sentence"
        for key in ("cause", "remedy"):
            text = info[key]
            assert isinstance(text, str), where
            assert len(text.split()) >= 4, f"{where}: {key} is too short to help: {text!r}"
            assert text[0].isupper() or text[0].isdigit(), f"{where}: {key} should start a sentence: {text!r}"
            assert text.rstrip().endswith((".", ")")), f"{where}: {key} should end a sentence: {text!r}"
            assert text != title, where
        assert info["cause"] != info["remedy"], where


def test_the_catalog_is_broad_at_least_ten_families_and_three_hundred_codes():
    entries = _entries()
    families = {family for _, family, _, _ in entries}
    devices = {str(body.get("device")) for path in FILES for body in _raw(path).values()}
    assert len(families) >= 10, sorted(families)
    assert len(entries) >= 300, len(entries)
    assert {"printer", "washer", "dishwasher", "air-conditioner", "boiler", "pc", "network", "pos",
            "vehicle"} <= devices, sorted(devices)


def test_no_code_is_repeated_within_a_family_even_across_files():
    seen: dict[tuple[str, str], str] = {}
    for name, family, code, _ in _entries():
        assert (family, code) not in seen, f"{family}/{code} is in {seen[(family, code)]} and in {name}"
        seen[(family, code)] = name


def test_hresult_shaped_codes_are_canonical():
    long_hex = [(family, code) for _, family, code, _ in _entries() if HRESULT_SHAPED.fullmatch(code)]
    assert len(long_hex) >= 50  # Windows stop codes and HRESULTs are a large part of the catalog
    bad = [(family, code) for family, code in long_hex if not CANONICAL_HEX.fullmatch(code)]
    assert not bad, f"write 0x and 8 upper-case hex digits: {bad}"


def test_the_whole_directory_loads_through_the_catalog_loader(catalog: Catalog):
    entries = _entries()
    assert len(catalog) == len(entries)
    for name, family, code, info in entries:
        entry = catalog.get(family, code)
        assert entry is not None, (family, code)
        assert (entry.title, entry.severity, entry.origin) == (info["title"].strip(), info["severity"], name)
        assert entry.vendor and (entry.device or name == "core.yaml")


def test_core_codes_keep_their_family_when_looked_up_without_a_hint(catalog: Catalog):
    """Files load by name; a later file must not take over a code of core.yaml (lookups prefer the first family)."""
    core = DEFAULT_CATALOG / "core.yaml"
    for family, body in _raw(core).items():
        for code in body["codes"]:
            found = catalog.lookup(code)
            assert found is not None and found.family == family, (code, found and found.family)


@pytest.mark.parametrize(("family", "code", "words"), [
    ("obd2", "P0420", "catalyst"),
    ("obd2", "P0300", "misfire"),
    ("windows-stop", "0x000000EF", "critical_process_died"),
    ("windows-hresult", "0x80070070", "disk_full"),
    ("windows-ras", "691", "password"),
    ("ricoh-sc", "SC543", "overheat"),
    ("canon-pixma", "5B00", "ink absorber"),
    ("samsung-washer", "4C", "water supply"),
    ("bosch-dishwasher", "E24", "drain"),
    ("daikin-ac", "U4", "communication"),
    ("vaillant-boiler", "F.28", "ignition"),
    ("worcester-boiler", "EA 227", "no flame"),
    ("cisco-ios", "%SPANTREE-2-BLOCK_BPDUGUARD", "bpdu guard"),
    ("card-payment", "51", "insufficient funds"),
])
def test_well_known_codes_mean_what_they_should(catalog: Catalog, family: str, code: str, words: str):
    entry = catalog.get(family, code)
    assert entry is not None and words in entry.title.casefold(), (family, code, entry)


def test_windows_stop_codes_are_listed_by_number_and_by_name(catalog: Catalog):
    """Windows 8 and later show the stop code's name, Windows 7 and dumps its number: both find the same entry."""
    stops = {e.code: e for e in catalog.search(family="windows-stop")}
    numbered = {code: e for code, e in stops.items() if code.startswith("0x")}
    assert len(numbered) >= 40 and len(stops) == 2 * len(numbered)
    for code, entry in numbered.items():
        named = stops.get(entry.title)
        assert named is not None, f"{code}: no entry under its name {entry.title}"
        assert code in named.title and (named.cause, named.severity) == (entry.cause, entry.severity)
