"""The code catalog data file and its loader."""

import pytest

from diagnostics.catalog import load_catalog
from diagnostics.config import DEFAULT_CATALOG
from diagnostics.errors import CatalogError


def test_default_catalog_loads_and_covers_the_pattern_families():
    cat = load_catalog(DEFAULT_CATALOG)
    assert len(cat) >= 20
    for code in ("0x8007045D", "E-204", "49.4C02", "SC542", "E:51", "E5", "F3", "E04"):
        entry = cat.lookup(code)
        assert entry is not None, code
        assert entry.title and entry.cause and entry.remedy
        assert entry.severity in ("info", "warning", "error", "critical")


def test_family_hint_and_unknown_codes():
    cat = load_catalog(DEFAULT_CATALOG)
    assert cat.lookup("0x8007045D", "windows").family == "windows"
    assert cat.lookup("0x8007045D", "no-such-family").family == "windows"
    assert cat.lookup("0x12345678") is None


@pytest.mark.parametrize(
    "text",
    [
        "families: [1, 2",  # not YAML
        "- just a list",
        "families:\n  x: 3\n",
        "families:\n  x:\n    codes:\n      E1: {title: t, cause: c, remedy: r}\n",  # no severity
        "families:\n  x:\n    codes:\n      E1: {title: t, cause: c, remedy: r, severity: doom}\n",
    ],
)
def test_malformed_catalog_raises_catalog_error(tmp_path, text):
    path = tmp_path / "catalog.yaml"
    path.write_text(text)
    with pytest.raises(CatalogError):
        load_catalog(path)


def test_missing_catalog_file(tmp_path):
    with pytest.raises(CatalogError):
        load_catalog(tmp_path / "nope.yaml")
