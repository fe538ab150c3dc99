"""The second fresh split's generator (testkit/synth/fresh2_formats.py, fresh2_screens.py): screens are deterministic
per seed, families are new to every split, negatives hold no code shape, and the code's place on the screen is
recorded (grammars, catalog clashes, determinism and plans of all splits: test_family_splits.py)."""

import re
from pathlib import Path

import numpy as np
import pytest

from testkit.synth.formats import FAMILIES
from testkit.synth.fresh2_formats import (
    FRESH2_CAPTIONS,
    FRESH2_FAMILIES,
    FRESH2_FORMATS,
    FRESH2_LANGS,
    FRESH2_MESSAGES,
    FRESH2_ORDINARY,
    FRESH2_STATUS,
    fresh2_error_content,
    fresh2_formats_of,
    fresh2_negative_content,
)
from testkit.synth.fresh2_screens import (
    FRESH2_FONT_FILES,
    FRESH2_LAYOUTS,
    KIND_LAYOUTS,
    fresh2_code_box,
    layouts_for_format,
    plan_fresh2,
    random_fresh2_style,
    render_fresh2_screen,
)
from testkit.synth.fresh_formats import FRESH_FAMILIES, FRESH_LANGS
from testkit.synth.fresh_screens import FRESH_FONT_FILES
from testkit.synth.open_screens import FONT_FILES
from testkit.synth.open_text import LANGS
from tests.unit.diagnostics.family_checks import check_negatives, code_shapes

SIZES = ((640, 360), (1280, 720))


def test_families_are_new_with_two_or_three_formats_each():
    assert len(FRESH2_FAMILIES) >= 12
    assert not set(FRESH2_FAMILIES) & (set(FAMILIES) | set(FRESH_FAMILIES))
    assert len({f.name for f in FRESH2_FORMATS}) == len(FRESH2_FORMATS)
    for family in FRESH2_FAMILIES:
        assert 2 <= len(fresh2_formats_of([family])) <= 3, family
    assert {f.kind for f in FRESH2_FORMATS} == set(FRESH2_ORDINARY) == set(FRESH2_MESSAGES) == set(KIND_LAYOUTS)
    for role in {f.caption for f in FRESH2_FORMATS} - {""}:
        assert set(FRESH2_CAPTIONS[role]) == set(FRESH2_LANGS), role
    assert set(FRESH2_STATUS) == set(FRESH2_LANGS)
    assert len(set(FRESH2_LANGS) - set(FRESH_LANGS) - set(LANGS)) >= 4  # Russian, Greek, Thai, Hindi at least
    with pytest.raises(ValueError):
        fresh2_formats_of(["cnc"])  # the first fresh split's families are not fresh2's


def test_faces_exist_and_most_are_new():
    assert all(Path(path).exists() for path, _ in FRESH2_FONT_FILES.values())
    used = {path for path, _ in FONT_FILES.values()} | {path for path, _ in FRESH_FONT_FILES.values()}
    assert len([k for k, (path, _) in FRESH2_FONT_FILES.items() if path not in used]) >= 18


def _code_shapes(text: str) -> list[str]:
    return code_shapes(FRESH2_FORMATS, text)


def test_negatives_hold_ordinary_numbers_and_no_code_shape() -> None:
    check_negatives(FRESH2_FORMATS, FRESH2_CAPTIONS, FRESH2_ORDINARY, FRESH2_LANGS, fresh2_negative_content)
    assert _code_shapes("Part A06B-6117-H205 / SRVO-050") == ["robot-facility"] and _code_shapes("OB35 DB12.DBX3.1") == []


def test_error_screens_carry_the_code_as_shown_with_ordinary_numbers():
    rng = np.random.default_rng(9)
    for lang in FRESH2_LANGS:
        for fmt in FRESH2_FORMATS:
            content, shown = fresh2_error_content(fmt, rng, lang, distractors=2)
            code_lines = [ln for ln in content.lines if ln.role == "code"]
            assert len(code_lines) == 1 and shown in code_lines[0].text and content.code in shown
            assert re.fullmatch(fmt.grammar, content.code) and content.accept[0] == content.code
            if fmt.adjacent:
                assert code_lines[0].text != shown
            assert sum(ln.role == "number" for ln in content.lines) == 2


def test_planned_codes_appear_on_layouts_of_their_format():
    # Determinism, both sizes and family coverage: tests/unit/diagnostics/test_family_splits.py.
    for spec in plan_fresh2(list(FRESH2_FAMILIES), 11, 1, 4, SIZES):
        if spec.content.code:
            fmt = next(f for f in FRESH2_FORMATS if f.name == spec.format)
            assert spec.style.layout in layouts_for_format(fmt)


@pytest.mark.parametrize("layout", FRESH2_LAYOUTS)
def test_every_layout_renders_deterministically_and_records_the_code_box(layout):
    rng = np.random.default_rng(4)
    fmt = next(f for f in FRESH2_FORMATS if layout in layouts_for_format(f))
    for lang in ("en", "th", "hi", "el"):
        content, shown = fresh2_error_content(fmt, rng, lang, distractors=2)
        style = random_fresh2_style(rng, layout, content.code)
        img, box = render_fresh2_screen(content, shown, style, (700, 420), np.random.default_rng(1))
        again, box2 = render_fresh2_screen(content, shown, style, (700, 420), np.random.default_rng(1))
        assert img.shape == (420, 700, 3) and np.array_equal(img, again) and box == box2
        assert box is not None and 0 <= box[0] < box[2] <= 700 and 0 <= box[1] < box[3] <= 420
        x0, y0, x1, y1 = (int(v) for v in box)
        assert img[y0:y1 + 1, x0:x1 + 1].std() > 10  # the code is drawn where the box says
        negative = fresh2_negative_content(rng, lang, fmt.kind)
        assert render_fresh2_screen(negative, "", style, (700, 420), np.random.default_rng(1))[1] is None


def test_every_planned_code_is_drawn_whole_inside_its_screen():
    specs = plan_fresh2(list(FRESH2_FAMILIES), 3, 1, 0, ((640, 360),))
    boxes = {s.format + str(s.index): fresh2_code_box(s) for s in specs}
    outside = {k: b for k, b in boxes.items() if not (len(b) == 4 and 0 <= b[0] < b[2] <= 1 and 0 <= b[1] < b[3] <= 1)}
    assert len(boxes) == len(FRESH2_FORMATS) and not outside, outside
    assert fresh2_code_box(plan_fresh2(["plc"], 3, 0, 1, SIZES)[0]) == []
