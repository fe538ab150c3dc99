"""The third fresh split's generator (testkit/synth/fresh3_formats.py, fresh3_screens.py): tables cover every
language, families have two formats each, negatives hold no code shape and no caption word, every screen kind
renders deterministically with the code where its recorded box says, and a set is written as the other splits'
(grammars, catalog clashes, determinism and plans of all splits: test_family_splits.py)."""

import re
from pathlib import Path

import numpy as np
import pytest

from testkit.synth.fresh2_formats import FRESH2_LANGS
from testkit.synth.fresh2_screens import FRESH2_FONT_FILES
from testkit.synth.fresh3_formats import (
    FRESH3_CAPTIONS,
    FRESH3_FAMILIES,
    FRESH3_FORMATS,
    FRESH3_LANGS,
    FRESH3_MESSAGES,
    FRESH3_ORDINARY,
    FRESH3_STATUS,
    fresh3_error_content,
    fresh3_formats_of,
    fresh3_negative_content,
)
from testkit.synth.fresh3_screens import (
    CELL_LAYOUTS,
    FRESH3_FONT_FILES,
    FRESH3_LAYOUTS,
    KIND_LAYOUTS,
    fit_rows,
    fresh3_code_box,
    langs_for,
    layouts_for,
    plan_fresh3,
    random_fresh3_style,
    render_fresh3_screen,
)
from testkit.synth.fresh_formats import FRESH_LANGS
from testkit.synth.fresh_screens import FRESH_FONT_FILES
from testkit.synth.open_screens import FONT_FILES, LAYOUTS
from testkit.synth.open_text import LANGS, ScreenLine
from tests.unit.diagnostics.family_checks import check_negatives, code_shapes


def test_every_family_has_two_formats_and_every_table_covers_every_language():
    for family in FRESH3_FAMILIES:
        assert len(fresh3_formats_of([family])) == 2, family
    assert {f.kind for f in FRESH3_FORMATS} == set(FRESH3_ORDINARY) == set(FRESH3_MESSAGES) == set(KIND_LAYOUTS)
    for role in {f.caption for f in FRESH3_FORMATS} - {""}:
        assert set(FRESH3_CAPTIONS[role]) == set(FRESH3_LANGS), role
    for kind in FRESH3_MESSAGES.values():
        assert set(kind) == set(FRESH3_LANGS)
    assert set(FRESH3_STATUS) == set(FRESH3_LANGS)
    assert len(set(FRESH3_LANGS) - set(FRESH2_LANGS) - set(FRESH_LANGS) - set(LANGS)) == 7
    with pytest.raises(ValueError):
        fresh3_formats_of(["drone"])  # fresh2's families are not fresh3's


def test_screen_kinds_and_most_faces_are_new():
    assert not set(FRESH3_LAYOUTS) & set(LAYOUTS)
    assert all(Path(path).exists() for path, _ in FRESH3_FONT_FILES.values())
    used = {p for files in (FONT_FILES, FRESH_FONT_FILES, FRESH2_FONT_FILES) for p, _ in files.values()}
    assert len([k for k, (path, _) in FRESH3_FONT_FILES.items() if path not in used]) >= 24


def _code_shapes(text: str) -> list[str]:
    return code_shapes(FRESH3_FORMATS, text, r"\w.:#%-")


def test_negatives_hold_ordinary_numbers_and_no_code_shape_or_caption() -> None:
    check_negatives(FRESH3_FORMATS, FRESH3_CAPTIONS, FRESH3_ORDINARY, FRESH3_LANGS, fresh3_negative_content, r"\w.:#%-")
    assert _code_shapes("Sel C4 1.50 / CJ42 / Err 105") == ["vend-column", "scale-err"]


def test_error_screens_carry_the_code_as_shown_with_ordinary_numbers():
    rng = np.random.default_rng(9)
    for lang in FRESH3_LANGS:
        for fmt in FRESH3_FORMATS:
            content, shown = fresh3_error_content(fmt, rng, lang, distractors=2)
            code_lines = [ln for ln in content.lines if ln.role == "code"]
            assert len(code_lines) == 1 and shown in code_lines[0].text and content.code in shown
            assert re.fullmatch(fmt.grammar, content.code) and content.accept[0] == content.code
            if fmt.adjacent:
                assert code_lines[0].text != shown
            assert sum(ln.role == "number" for ln in content.lines) == 2
    arrows = next(f for f in FRESH3_FORMATS if f.name == "garage-arrows")
    assert arrows.accepted("4 UP 6 DOWN") == ("4 UP 6 DOWN", "4-6")


def test_character_displays_keep_the_code_and_its_caption_when_rows_run_out():
    lines = [ScreenLine("Rack 12 Pos 3", "number"), ScreenLine("Felkod: SP417", "code"),
             ScreenLine("Provnålen har kolliderat", "text"), ScreenLine("Lot 4C117", "number")]
    rows = fit_rows(lines, "SP417", 16, 2, fold=True)
    assert [r.text for r in rows] == ["Felkod: SP417", "Provnalen har ko"] and rows[0].code == (8, 13)
    narrow = fit_rows(lines, "SP417", 8, 2, fold=True)
    assert [(r.text, r.role) for r in narrow] == [("Felkod", "caption"), ("SP417", "code")]
    assert layouts_for("vending", "he") == ("app",) and "oled" in layouts_for("softener", "uk")
    assert set(layouts_for("vending", "sv")) <= CELL_LAYOUTS


@pytest.mark.parametrize("layout", FRESH3_LAYOUTS)
def test_every_layout_renders_deterministically_and_records_the_code_box(layout):
    rng = np.random.default_rng(4)
    fmt = next(f for f in FRESH3_FORMATS if layout in KIND_LAYOUTS[f.kind])
    langs = ("en", "cs") if layout in CELL_LAYOUTS else ("vi", "he", "uk") if layout == "oled" else ("bn", "he", "sv")
    for lang in langs:
        content, shown = fresh3_error_content(fmt, rng, lang, distractors=2)
        style = random_fresh3_style(rng, layout, content.code)
        size = (760, 300) if layout in CELL_LAYOUTS else (640, 360) if layout == "oled" else (1100, 620)
        img, box = render_fresh3_screen(content, shown, style, size, np.random.default_rng(1))
        again, box2 = render_fresh3_screen(content, shown, style, size, np.random.default_rng(1))
        assert img.shape == (size[1], size[0], 3) and np.array_equal(img, again) and box == box2
        assert box is not None and 0 <= box[0] < box[2] <= size[0] and 0 <= box[1] < box[3] <= size[1], (lang, box)
        x0, y0, x1, y1 = (int(v) for v in box)
        assert img[y0:y1 + 1, x0:x1 + 1].std() > 10  # the code is drawn where the box says
        negative = fresh3_negative_content(rng, lang, fmt.kind)
        assert render_fresh3_screen(negative, "", style, size, np.random.default_rng(1))[1] is None


def test_every_planned_code_is_drawn_whole_inside_its_screen():
    specs = plan_fresh3(list(FRESH3_FAMILIES), 3, 1, 0, ((640, 360),))
    boxes = {s.format + str(s.index): fresh3_code_box(s) for s in specs}
    outside = {k: b for k, b in boxes.items() if not (len(b) == 4 and 0 <= b[0] < b[2] <= 1 and 0 <= b[1] < b[3] <= 1)}
    assert len(boxes) == len(FRESH3_FORMATS) and not outside, outside
    assert fresh3_code_box(plan_fresh3(["pool"], 3, 0, 1, ((640, 360),))[0]) == []
    for spec in plan_fresh3(list(FRESH3_FAMILIES), 4, 2, 12, ((640, 360),)):  # a language the screen can show
        assert spec.content.lang in langs_for(spec.style.layout) and spec.style.layout in KIND_LAYOUTS[spec.content.kind]
