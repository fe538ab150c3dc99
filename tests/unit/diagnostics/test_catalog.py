"""Code catalogs as data: YAML and CSV files, merging, precedence, and every error the loader reports."""

from pathlib import Path

import pytest

from diagnostics.catalog import (
    Catalog,
    CatalogEntry,
    catalog_files,
    load_catalog,
    load_catalogs,
    parse_catalog_file,
)
from diagnostics.config import DEFAULT_CATALOG
from diagnostics.errors import CatalogError

CORE = DEFAULT_CATALOG / "core.yaml"
CORE_CODES = {"0x8007045D", "0x80070005", "0x80004005", "0xC000021A", "0x800F081F", "0x80240034", "0x8024402C",
              "0x80070057", "49.4C02", "79.04", "50.2", "13.20.00", "E-204", "E-000", "SC542", "SC899", "SC990-01",
              "E:51", "E:46", "E5", "F3", "E21", "E04"}
HEADER = "family,vendor,device,code,title,cause,remedy,severity\n"


def entry(family: str, code: str, title: str = "t", **kw: str) -> CatalogEntry:
    return CatalogEntry(family=family, code=code, title=title, cause=kw.get("cause", "c"),
                        remedy=kw.get("remedy", "r"), severity=kw.get("severity", "error"))


def yaml_family(family: str, codes: dict[str, str], vendor: str = "Acme", device: str = "washer") -> str:
    lines = [f"families:\n  {family}:\n    vendor: {vendor}\n    device: {device}\n    codes:\n"]
    for code, title in codes.items():
        lines.append(f'      "{code}": {{title: {title}, cause: a cause, remedy: a remedy, severity: warning}}\n')
    return "".join(lines)


def test_the_built_in_directory_holds_the_core_codes():
    core = load_catalog(CORE)
    assert set(core.codes()) == CORE_CODES
    everything = load_catalog(DEFAULT_CATALOG)  # the directory: other files may add codes, none go away
    assert set(everything.codes()) >= CORE_CODES
    for code in ("0x8007045D", "E-204", "49.4C02", "SC542", "E:51", "E5", "F3", "E04"):
        found = everything.lookup(code)
        assert found is not None, code
        assert found.title and found.cause and found.remedy
        assert found.severity in ("info", "warning", "error", "critical")


def test_family_hint_and_unknown_codes():
    cat = load_catalog(CORE)
    assert cat.lookup("0x8007045D", "windows").family == "windows"
    assert cat.lookup("0x8007045D", "no-such-family").family == "windows"
    assert cat.lookup("0x12345678") is None
    assert cat.lookup("0x8007045D").vendor == "Microsoft Windows"
    assert cat.lookup("0x8007045D").origin == "core.yaml"


def test_yaml_and_csv_files_of_a_directory_merge_and_later_files_win_per_code(tmp_path: Path):
    (tmp_path / "a.yaml").write_text(yaml_family("acme-washer", {"4E": "Water supply", "5E": "Drain"}))
    (tmp_path / "b.yml").write_text(yaml_family("acme-washer", {"5E": "Drain blocked", "dE": "Door"}))
    (tmp_path / "c.csv").write_text(HEADER + 'acme-washer,Acme,washer,UE,Unbalanced,"Load uneven, one side",'
                                             "Spread the laundry,info\n"
                                             "zeta-boiler,Zeta,boiler,F.22,Low pressure,Leak,Refill to 1.5 bar,error\n")
    (tmp_path / "notes.txt").write_text("not a catalog")
    assert [p.name for p in catalog_files(tmp_path)] == ["a.yaml", "b.yml", "c.csv"]
    cat = load_catalog(tmp_path)
    assert len(cat) == 5
    assert cat.get("acme-washer", "5E").title == "Drain blocked"  # b.yml after a.yaml
    assert cat.get("acme-washer", "4E").title == "Water supply"  # kept: the family merges
    ue = cat.get("acme-washer", "UE")
    assert (ue.cause, ue.severity, ue.device, ue.origin) == ("Load uneven, one side", "info", "washer", "c.csv")
    assert cat.get("zeta-boiler", "F.22").vendor == "Zeta"
    assert [e.family for e in cat.search(device="boiler")] == ["zeta-boiler"]
    assert [e.code for e in cat.search("drain")] == ["5E"]
    assert [e.code for e in cat.search(family="acme-washer")] == ["4E", "5E", "UE", "dE"]


def test_the_operator_directory_wins_over_the_built_in_one(tmp_path: Path):
    (tmp_path / "site.yaml").write_text(
        'families:\n  canon:\n    codes:\n      "E-204": {title: Our own words, cause: c, remedy: r, severity: info}\n')
    loaded = load_catalogs(DEFAULT_CATALOG, tmp_path)
    assert loaded.problems == []
    assert loaded.catalog.get("canon", "E-204").title == "Our own words"
    assert loaded.catalog.get("canon", "E-000") is not None  # the rest of the family is still there


def test_a_bad_operator_file_is_skipped_and_reported_the_others_load(tmp_path: Path):
    (tmp_path / "good.csv").write_text(HEADER + "x,X,pc,X1,t,c,r,error\n")
    (tmp_path / "bad.yaml").write_text("families:\n  x:\n    codes:\n      X2: {title: t, cause: c, remedy: r}\n")
    loaded = load_catalogs(DEFAULT_CATALOG, tmp_path)
    assert loaded.catalog.get("x", "X1") is not None
    assert loaded.catalog.get("x", "X2") is None
    [problem] = loaded.problems
    assert "bad.yaml" in problem and "x/X2" in problem and "severity" in problem


def test_a_missing_operator_directory_is_reported_not_fatal(tmp_path: Path):
    loaded = load_catalogs(DEFAULT_CATALOG, tmp_path / "nope")
    assert set(loaded.catalog.codes()) >= CORE_CODES
    assert len(loaded.problems) == 1 and "nope" in loaded.problems[0]


def test_a_bad_built_in_file_is_fatal(tmp_path: Path):
    (tmp_path / "core.yaml").write_text("families: [1, 2")
    with pytest.raises(CatalogError, match="core.yaml"):
        load_catalogs(tmp_path, None)


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("c.yaml", "families: [1, 2", "not valid YAML"),
        ("c.yaml", "- just a list", "top level"),
        ("c.yaml", "families:\n  x: 3\n", "family 'x' has no 'codes'"),
        ("c.yaml", "families:\n  x:\n    codes:\n      E1: 5\n", "x/E1 must be a mapping"),
        ("c.yaml", "families:\n  x:\n    codes:\n      E1: {title: t, cause: c, remedy: r}\n", "x/E1: lacks severity"),
        ("c.yaml", "families:\n  x:\n    codes:\n      E1: {title: t, cause: c, remedy: r, severity: doom}\n",
         "x/E1: severity 'doom'"),
        ("c.yaml", "families:\n  x:\n    codes:\n      E1: {title: '', cause: c, remedy: r, severity: info}\n",
         "x/E1: lacks title"),
        ("c.yaml", "families:\n  x:\n    codes:\n      13.20: {title: t, cause: c, remedy: r, severity: info}\n",
         "x/13.2: YAML read the code as float"),
        ("c.yaml", "families:\n  x:\n    codes:\n      010: {title: t, cause: c, remedy: r, severity: info}\n",
         "x/8: YAML read the code as int"),
        ("c.yaml", "families:\n  x:\n    codes:\n      E1: {title: " + "t" * 301 + ", cause: c, remedy: r, "
         "severity: info}\n", "x/E1: title is longer than 300"),
        ("c.csv", "family,code,title\nx,E1,t\n", "lacks column(s) vendor, device, cause, remedy, severity"),
        ("c.csv", HEADER + "x,X,pc,E1,t,c,r\n", "line 2 has fewer fields"),
        ("c.csv", HEADER + "x,X,pc,E1,t,c,r,info,extra\n", "line 2 has more fields"),
        ("c.csv", HEADER + "x,X,pc,E1,t,c,r,info\nx,X,pc,,t,c,r,info\n", "line 3: x/?: code must be non-empty"),
        ("c.csv", HEADER + "x,X,pc,E1,t,c,r,info\nx,X,pc,E1,t,c,r,info\n", "x/E1 appears twice"),
        ("c.csv", HEADER + "x,X,pc,E1,t,c,r,severe\n", "line 2: x/E1: severity 'severe'"),
    ],
)
def test_every_malformed_file_raises_a_catalog_error_naming_file_and_entry(tmp_path, name, text, message):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(CatalogError) as caught:
        parse_catalog_file(path)
    assert message in str(caught.value)
    assert name in str(caught.value)


def test_missing_file_and_undecodable_file(tmp_path: Path):
    with pytest.raises(CatalogError, match="nope.yaml"):
        load_catalog(tmp_path / "nope.yaml")
    (tmp_path / "latin.csv").write_bytes(HEADER.encode() + "x,X,pc,E1,Störung,c,r,info\n".encode("latin-1"))
    with pytest.raises(CatalogError, match="latin.csv"):
        parse_catalog_file(tmp_path / "latin.csv")


def test_a_spreadsheet_csv_with_bom_and_blank_lines_loads(tmp_path: Path):
    (tmp_path / "s.csv").write_bytes(("\ufeff" + HEADER + "x,X,pc,E1,t,c,r,info\n,,,,,,,\n").encode())
    assert [e.code for e in parse_catalog_file(tmp_path / "s.csv")] == ["E1"]


def test_overlay_diff_and_apply_round_trip():
    base = Catalog([entry("a", "E1"), entry("a", "E2"), entry("b", "E1", "b's")])
    newer = base.overlaid([entry("a", "E2", "edited"), entry("c", "X9")], removed=[("b", "E1")])
    assert newer.get("a", "E2").title == "edited" and newer.get("b", "E1") is None and "X9" in newer
    assert base.get("b", "E1") is not None  # unchanged
    delta = base.diff(newer, 3, 4)
    assert {e.key for e in delta.upserts} == {("a", "E2"), ("c", "X9")} and delta.removed == (("b", "E1"),)
    rebuilt = base.applied(delta)
    assert {e.key: e for e in rebuilt} == {e.key: e for e in newer}


def test_lookup_by_code_prefers_the_first_family_even_after_an_edit():
    cat = Catalog([entry("a", "E1", "a's"), entry("b", "E1", "b's")]).overlaid([entry("a", "E1", "a edited")])
    assert cat.lookup("E1").title == "a edited"
    assert cat.lookup("E1", "b").title == "b's"
