"""The fresh evaluation split's generator (testkit/synth/fresh_formats.py, fresh_screens.py): every family renders,
negatives hold no code shape (grammars, determinism and plans of all splits: test_family_splits.py)."""

import re
from pathlib import Path

import numpy as np
import pytest

from testkit.synth.formats import FAMILIES
from testkit.synth.fresh_formats import (
    FRESH_CAPTIONS,
    FRESH_FAMILIES,
    FRESH_FORMATS,
    FRESH_LANGS,
    FRESH_MESSAGES,
    FRESH_ORDINARY,
    draw_fresh_template,
    fresh_error_content,
    fresh_formats_of,
    fresh_negative_content,
)
from testkit.synth.fresh_screens import (
    FRESH_FONT_FILES,
    FRESH_LAYOUTS,
    KIND_LAYOUTS,
    layouts_for_format,
    plan_fresh,
    random_fresh_style,
    render_fresh_screen,
)
from testkit.synth.open_screens import FONT_FILES, LAYOUTS

SIZES = ((640, 360), (1280, 720))


def test_families_are_new_and_each_has_two_to_four_shapes():
    assert len(FRESH_FAMILIES) >= 10 and not set(FRESH_FAMILIES) & set(FAMILIES)
    assert len({f.name for f in FRESH_FORMATS}) == len(FRESH_FORMATS)
    for family in FRESH_FAMILIES:
        assert 2 <= len(fresh_formats_of([family])) <= 4, family
    assert {f.kind for f in FRESH_FORMATS} == set(FRESH_ORDINARY) == set(FRESH_MESSAGES) == set(KIND_LAYOUTS)
    for role in {f.caption for f in FRESH_FORMATS} - {""}:
        assert set(FRESH_CAPTIONS[role]) == set(FRESH_LANGS), role
    with pytest.raises(ValueError):
        fresh_formats_of(["obd"])  # the open set's families are not fresh


def test_layouts_and_faces_are_new():
    assert not (set(FRESH_LAYOUTS) - {"segment"}) & set(LAYOUTS)  # only segment panels share a name
    used = {path for path, _ in FONT_FILES.values()}
    new = [k for k, (path, _) in FRESH_FONT_FILES.items() if path not in used]
    assert len(new) >= 12, new
    assert all(Path(path).exists() for path, _ in FRESH_FONT_FILES.values())


def test_small_grammars_are_exhausted_large_ones_are_not_lists():
    rng = np.random.default_rng(3)
    by_name = {f.name: {f.draw(rng) for _ in range(400)} for f in FRESH_FORMATS
               if f.name in ("coffee-error-digit", "bambu-hms", "car-alert")}
    assert by_name["coffee-error-digit"] == set("123456789")
    assert len(by_name["bambu-hms"]) == 400 and len(by_name["car-alert"]) >= 380


def test_template_alternation():
    rng = np.random.default_rng(1)
    drawn = {draw_fresh_template("{(AB|CDE)}-{d2}", rng) for _ in range(200)}
    assert all(re.fullmatch(r"(AB|CDE)-\d\d", d) for d in drawn) and {d[:2] for d in drawn} == {"AB", "CD"}


def _code_shapes(text: str) -> list[str]:
    """Fresh formats whose code, written as their screens write it, stands somewhere in the text, among those that
    stand on their own (a code that needs its caption beside it is none without that caption, which negatives
    never hold)."""
    found = []
    for f in FRESH_FORMATS:
        before, _, after = f.shown.partition("{code}")
        shape = re.escape(before) + f"(?:{f.grammar})" + re.escape(after)
        if not f.adjacent and re.search(rf"(?<![\w.,:-]){shape}(?![\w.,:-])", text):
            found.append(f.name)
    return found


def test_negatives_hold_ordinary_numbers_and_no_code_shape():
    rng = np.random.default_rng(5)
    captions = {c.rstrip(":： ").lower() for role in FRESH_CAPTIONS.values() for lang in role.values() for c in lang}
    digits = 0
    kinds = list(FRESH_ORDINARY)
    for i in range(400):
        content = fresh_negative_content(rng, FRESH_LANGS[i % len(FRESH_LANGS)], kinds[i % len(kinds)])
        assert content.code == "" and content.accept == ()
        for line in content.lines:
            digits += any(c.isdigit() for c in line.text)
            words = set(re.split(r"[\s:：]+", line.text.lower()))
            assert not any(cap in words or (" " in cap and cap in line.text.lower()) for cap in captions), line.text
            assert not _code_shapes(line.text), (line.text, _code_shapes(line.text))
    assert digits >= 800  # full of numbers
    assert _code_shapes("Trips 1204 / 8M353 now") == ["fire-point"] and _code_shapes("Vout 227 V") == []


def test_error_screens_carry_the_code_with_its_caption_and_ordinary_numbers():
    rng = np.random.default_rng(9)
    for lang in FRESH_LANGS:
        for fmt in FRESH_FORMATS:
            content = fresh_error_content(fmt, rng, lang, distractors=2)
            code_lines = [ln for ln in content.lines if ln.role == "code"]
            assert len(code_lines) == 1 and fmt.shown.format(code=content.code) in code_lines[0].text
            assert content.accept[0] == content.code and re.fullmatch(fmt.grammar, content.code)
            if fmt.adjacent:  # a bare number is a code only beside its caption word
                assert code_lines[0].text != content.code
            assert sum(ln.role == "number" for ln in content.lines) == 2
    prusa = next(f for f in FRESH_FORMATS if f.name == "prusa-qr")
    assert prusa.accepted("12201") == ("12201", "#12201")
    assert next(f for f in FRESH_FORMATS if f.name == "docsis-timeout").accepted("T3") == ("T3",)


def test_planned_codes_appear_on_layouts_of_their_format():
    # Determinism, both sizes and family coverage: tests/unit/diagnostics/test_family_splits.py.
    for spec in plan_fresh(list(FRESH_FAMILIES), 11, 1, 4, SIZES):
        if spec.content.code:
            fmt = next(f for f in FRESH_FORMATS if f.name == spec.format)
            assert spec.style.layout in layouts_for_format(fmt)


@pytest.mark.parametrize("family", FRESH_FAMILIES)
def test_every_family_renders_on_each_of_its_layouts(family):
    rng = np.random.default_rng(4)
    for i, fmt in enumerate(fresh_formats_of([family])):
        for j, layout in enumerate(layouts_for_format(fmt)):
            content = fresh_error_content(fmt, rng, ("en", "ar", "ko", "zh")[(i + j) % 4], distractors=1)
            style = random_fresh_style(rng, layout, content.code)
            img = render_fresh_screen(content, style, (620, 380), np.random.default_rng(1))
            again = render_fresh_screen(content, style, (620, 380), np.random.default_rng(1))
            assert img.shape == (380, 620, 3) and img.dtype == np.uint8 and np.array_equal(img, again)
            assert img.std() > 8, (fmt.name, layout)
