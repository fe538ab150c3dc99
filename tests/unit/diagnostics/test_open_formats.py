"""The open evaluation set's generator: formats draw from their grammars, not from the catalog; negatives hold
ordinary numbers only; plans are deterministic per seed."""

import csv
import re
from pathlib import Path

import numpy as np
import pytest
import yaml

from testkit.synth.formats import (
    FAMILIES,
    FORMATS,
    HELD_OUT_FAMILIES,
    TUNED_FAMILIES,
    draw_template,
    formats_of,
    template_space,
)
from testkit.synth.open_screens import (
    FONT_FILES,
    LAYOUTS,
    SEGMENT_FONTS,
    random_open_style,
    render_open_screen,
)
from testkit.synth.open_set import NEGATIVE, plan_open
from testkit.synth.open_text import ADJACENT_ROLES, CAPTIONS, LANGS, error_content, negative_content
from testkit.synth.screens import SAMPLES

DIAGNOSTICS = Path(__file__).resolve().parents[3] / "diagnostics"


def _strings(node: object) -> list[str]:
    """Every string in a parsed YAML document (keys and values)."""
    if isinstance(node, dict):
        return [s for k, v in node.items() for s in _strings(k) + _strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v)]
    return [node] if isinstance(node, str) else []


def _catalog_tokens() -> set[str]:
    """A superset of the catalogued codes: every short string with a digit in the catalog files, read as data
    (the generator's author never looks at them)."""
    texts: list[str] = []
    if (DIAGNOSTICS / "catalog.yaml").exists():
        texts += _strings(yaml.safe_load((DIAGNOSTICS / "catalog.yaml").read_text()))
    for path in sorted((DIAGNOSTICS / "catalogs").glob("**/*")) if (DIAGNOSTICS / "catalogs").is_dir() else []:
        if path.suffix in (".yaml", ".yml"):
            texts += _strings(yaml.safe_load(path.read_text()))
        elif path.suffix == ".csv":
            texts += [cell for row in csv.reader(path.read_text().splitlines()) for cell in row]
    return {_norm(t) for t in texts if len(t) <= 16 and any(c.isdigit() for c in t)}


def _norm(code: str) -> str:
    return "".join(code.split()).upper()


def test_formats_cover_the_families_of_the_issue():
    assert len(FORMATS) >= 40 and len(FAMILIES) >= 10
    assert len({f.name for f in FORMATS}) == len(FORMATS)
    for fam in FAMILIES:
        assert len(formats_of([fam])) >= 3, fam
    assert sum(f.example.count("-") == 1 and f.example[-1].isdigit() and "-" in f.example[1:] for f in FORMATS) >= 5
    for f in FORMATS:  # the documented example is of the format's own shape
        assert re.fullmatch(f.grammar, f.example), f.name
    assert set(TUNED_FAMILIES) | set(HELD_OUT_FAMILIES) == set(FAMILIES)
    assert not set(TUNED_FAMILIES) & set(HELD_OUT_FAMILIES)
    assert 0.25 <= len(HELD_OUT_FAMILIES) / len(FAMILIES) <= 0.4


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: f.name)
def test_every_format_draws_codes_of_its_grammar(fmt):
    rng = np.random.default_rng(7)
    codes = [fmt.draw(rng) for _ in range(200)]
    assert all(re.fullmatch(fmt.grammar, c) for c in codes), [c for c in codes if not re.fullmatch(fmt.grammar, c)]
    # Drawn from a grammar, not a list: many different codes (small grammars such as "E1" are nearly exhausted).
    assert len(set(codes)) >= min(40, 0.5 * len(codes))
    assert codes == [fmt.draw(r) for r in [np.random.default_rng(7)] for _ in range(200)]


def test_template_classes():
    rng = np.random.default_rng(1)
    for _ in range(100):
        assert re.fullmatch(r"X[1-9]\d[0-9A-F]-[0-3][ab]", draw_template("X{n2}{H1}-{[0-3]1}{[ab]1}", rng))


def test_codes_are_not_drawn_from_the_catalog():
    known = _catalog_tokens()
    assert len(known) >= 15  # the catalog was found and read
    known |= {_norm(s.code) for s in SAMPLES}  # and the bench's own sample screens
    rng = np.random.default_rng(11)
    large = [f for f in FORMATS if template_space(f.template) >= 1000]
    draws = [f.draw(rng) for f in large for _ in range(40)]
    share = sum(_norm(c) in known for c in draws) / len(draws)
    assert len(large) >= 25 and len(draws) >= 1000 and share < 0.01, share
    # Small grammars (two-character codes, E/F and two digits) overlap a large catalog by chance, but they
    # still draw codes nobody catalogued.
    for f in FORMATS:
        codes = [f.draw(rng) for _ in range(100)]
        assert sum(_norm(c) not in known for c in codes) >= 25, f.name


def _code_shaped(token: str) -> list[str]:
    """Formats whose grammar the token matches, among those whose codes stand on their own (a code that is a
    plain number or two characters is one only beside its caption word, which negatives never hold)."""
    return [f.name for f in FORMATS if f.caption not in ADJACENT_ROLES | {"support"} and re.fullmatch(f.grammar, token)]


def test_negatives_hold_ordinary_numbers_and_nothing_code_shaped():
    rng = np.random.default_rng(5)
    captions = {c.rstrip(":： ").lower() for role in CAPTIONS.values() for lang in role.values() for c in lang}
    digits = 0
    for i in range(200):
        content = negative_content(rng, LANGS[i % len(LANGS)])
        assert content.code == "" and content.accept == ()
        for line in content.lines:
            digits += any(c.isdigit() for c in line.text)
            assert not any(cap in line.text.lower() for cap in captions), line.text
            for token in line.text.split():
                assert not _code_shaped(token.strip(",;")), (line.text, _code_shaped(token))
    assert digits >= 400  # full of numbers


def test_error_screens_carry_the_code_beside_ordinary_numbers():
    rng = np.random.default_rng(9)
    for fmt in FORMATS:
        content = error_content(fmt, rng, "de", distractors=2)
        code_lines = [ln for ln in content.lines if ln.role == "code"]
        assert len(code_lines) == 1 and content.code in code_lines[0].text
        assert content.accept[0] == content.code
        numbers = [ln for ln in content.lines if ln.role == "number"]
        assert len(numbers) == 2
        for ln in numbers:
            assert all(not _code_shaped(t) for t in ln.text.split())


def test_open_plan_is_deterministic_and_films_each_screen_at_both_sizes():
    sizes = ((640, 360), (1280, 720))
    a = plan_open(["obd", "washer"], 3, 1, 2, sizes)
    b = plan_open(["obd", "washer"], 3, 1, 2, sizes)
    assert a == b and a != plan_open(["obd", "washer"], 4, 1, 2, sizes)
    assert len(a) == 2 * (len(formats_of(["obd", "washer"])) + 2)
    assert [s.size for s in a[:2]] == list(sizes) and a[0].content == a[1].content
    assert {s.family for s in a} == {"obd", "washer", NEGATIVE}
    with pytest.raises(ValueError):
        plan_open(["no-such-family"], 1, 1, 0, sizes)


def test_fonts_and_layouts():
    assert len([k for k in FONT_FILES if not k.startswith("cjk")]) >= 12
    assert all(Path(path).exists() for path, _ in FONT_FILES.values())
    assert {"dseg7", "dseg14"} <= set(SEGMENT_FONTS)
    rng = np.random.default_rng(2)
    content = error_content(FORMATS[0], rng, "ja", distractors=1)
    for layout in LAYOUTS:
        style = random_open_style(rng, layout, content.code)
        img = render_open_screen(content, style, (640, 360), np.random.default_rng(1))
        again = render_open_screen(content, style, (640, 360), np.random.default_rng(1))
        assert img.shape == (360, 640, 3) and img.dtype == np.uint8 and np.array_equal(img, again)
        assert img.std() > 5, layout  # something was drawn
