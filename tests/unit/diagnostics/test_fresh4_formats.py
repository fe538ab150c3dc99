"""The fourth fresh split's generator (testkit/synth/fresh4_formats.py, fresh4_screens.py): tables cover every
language, families have two formats each, negatives hold no code shape and no caption word, every screen kind
renders deterministically with the code where its recorded box says (grammars, catalog clashes, determinism and plans
of all splits: test_family_splits.py)."""

import re
from pathlib import Path

import numpy as np
import pytest

from testkit.synth.fresh2_formats import FRESH2_LANGS
from testkit.synth.fresh2_screens import FRESH2_FONT_FILES
from testkit.synth.fresh3_formats import FRESH3_LANGS
from testkit.synth.fresh3_screens import FRESH3_FONT_FILES
from testkit.synth.fresh4_formats import (
    FRESH4_CAPTIONS,
    FRESH4_FAMILIES,
    FRESH4_FORMATS,
    FRESH4_LANGS,
    FRESH4_MESSAGES,
    FRESH4_ORDINARY,
    FRESH4_STATUS,
    fresh4_error_content,
    fresh4_formats_of,
    fresh4_negative_content,
)
from testkit.synth.fresh4_screens import (
    CELL_LAYOUTS,
    FRESH4_FONT_FILES,
    FRESH4_LAYOUTS,
    KIND_LAYOUTS,
    NEW_LAYOUTS,
    fresh4_code_box,
    langs_for,
    layouts_for_format,
    plan_fresh4,
    random_fresh4_style,
    render_fresh4_screen,
)
from testkit.synth.fresh_formats import FRESH_LANGS
from testkit.synth.fresh_screens import FRESH_FONT_FILES
from testkit.synth.open_screens import FONT_FILES, LAYOUTS
from testkit.synth.open_text import LANGS
from tests.unit.diagnostics.family_checks import check_negatives, code_shapes


def test_every_family_has_two_formats_and_every_table_covers_every_language():
    for family in FRESH4_FAMILIES:
        assert len(fresh4_formats_of([family])) == 2, family
    assert {f.kind for f in FRESH4_FORMATS} == set(FRESH4_ORDINARY) == set(FRESH4_MESSAGES) == set(KIND_LAYOUTS)
    for role in {f.caption for f in FRESH4_FORMATS} - {""}:
        assert set(FRESH4_CAPTIONS[role]) == set(FRESH4_LANGS), role
    for kind in FRESH4_MESSAGES.values():
        assert set(kind) == set(FRESH4_LANGS)
    assert set(FRESH4_STATUS) == set(FRESH4_LANGS)
    assert len(set(FRESH4_LANGS) - set(FRESH3_LANGS) - set(FRESH2_LANGS) - set(FRESH_LANGS) - set(LANGS)) == 7
    with pytest.raises(ValueError):
        fresh4_formats_of(["softener"])  # fresh3's families are not fresh4's


def test_new_screen_kinds_and_faces_are_new():
    assert not set(NEW_LAYOUTS) & set(LAYOUTS) and set(NEW_LAYOUTS) <= set(FRESH4_LAYOUTS)
    assert all(Path(path).exists() for path, _ in FRESH4_FONT_FILES.values())
    used = {p for files in (FONT_FILES, FRESH_FONT_FILES, FRESH2_FONT_FILES, FRESH3_FONT_FILES) for p, _ in files.values()}
    assert all(path not in used for path, _ in FRESH4_FONT_FILES.values())


def test_negatives_hold_ordinary_numbers_and_no_code_shape_or_caption() -> None:
    check_negatives(FRESH4_FORMATS, FRESH4_CAPTIONS, FRESH4_ORDINARY, FRESH4_LANGS, fresh4_negative_content)
    assert code_shapes(FRESH4_FORMATS, "Cd25 4321 / AL07 / NC031") == ["ice-auger", "reefer-alarm"]


def test_error_screens_carry_the_code_as_shown_with_ordinary_numbers():
    rng = np.random.default_rng(9)
    conventions: set[str] = set()
    for lang in FRESH4_LANGS:
        for fmt in FRESH4_FORMATS:
            content, shown = fresh4_error_content(fmt, rng, lang, distractors=2)
            code_lines = [ln for ln in content.lines if ln.role == "code"]
            assert len(code_lines) == 1 and shown in code_lines[0].text and content.code in shown
            assert re.fullmatch(fmt.grammar, content.code) and content.accept[0] == content.code
            if fmt.adjacent:
                assert code_lines[0].text != shown
            assert sum(ln.role == "number" for ln in content.lines) == 2
            text = code_lines[0].text
            conventions.add(re.sub(r"[^:–]", "", text.replace(shown, "")) + str(text.startswith(shown)))
    assert len(conventions) >= 4  # the caption before the code with a colon, a space or a dash, and after it


@pytest.mark.parametrize("layout", FRESH4_LAYOUTS)
def test_every_layout_renders_deterministically_and_records_the_code_box(layout):
    rng = np.random.default_rng(4)
    fmt = next(f for f in FRESH4_FORMATS if layout in layouts_for_format(f))
    for lang in sorted(langs_for(layout) & {"en", "hu", "ka", "gu"}):
        content, shown = fresh4_error_content(fmt, rng, lang, distractors=2)
        style = random_fresh4_style(rng, layout, content.code)
        size = (760, 300) if layout in CELL_LAYOUTS else (900, 420) if layout == "iconpanel" else (1000, 600)
        img, box = render_fresh4_screen(content, shown, style, size, np.random.default_rng(1))
        again, box2 = render_fresh4_screen(content, shown, style, size, np.random.default_rng(1))
        assert img.shape == (size[1], size[0], 3) and np.array_equal(img, again) and box == box2
        assert box is not None and 0 <= box[0] < box[2] <= size[0] and 0 <= box[1] < box[3] <= size[1], (lang, box)
        x0, y0, x1, y1 = (int(v) for v in box)
        assert img[y0:y1 + 1, x0:x1 + 1].std() > 10  # the code is drawn where the box says
        negative = fresh4_negative_content(rng, lang, fmt.kind)
        assert render_fresh4_screen(negative, "", style, size, np.random.default_rng(1))[1] is None


def test_every_planned_code_is_drawn_whole_inside_its_screen_on_a_kind_that_can_show_it():
    specs = plan_fresh4(list(FRESH4_FAMILIES), 3, 1, 0, ((640, 360),))
    boxes = {s.format + str(s.index): fresh4_code_box(s) for s in specs}
    outside = {k: b for k, b in boxes.items() if not (len(b) == 4 and 0 <= b[0] < b[2] <= 1 and 0 <= b[1] < b[3] <= 1)}
    assert len(boxes) == len(FRESH4_FORMATS) and not outside, outside
    assert fresh4_code_box(plan_fresh4(["glucose"], 3, 0, 1, ((640, 360),))[0]) == []
    fmts = {f.name: f for f in FRESH4_FORMATS}
    for spec in plan_fresh4(list(FRESH4_FAMILIES), 4, 2, 12, ((640, 360),)):
        assert spec.content.lang in langs_for(spec.style.layout) and spec.style.layout in KIND_LAYOUTS[spec.content.kind]
        if spec.format != "negative":
            assert spec.style.layout in layouts_for_format(fmts[spec.format])
