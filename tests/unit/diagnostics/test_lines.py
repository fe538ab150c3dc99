"""The cheap text-line finder: rendered screens of several fonts and sizes, blank and noisy images."""

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from diagnostics.lines import LineBox, crop_line, find_lines

FONTS = ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
         "/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf")
LINES = ["Service error", "Code: SC-883 (call service)", "Unplug the printer and wait 30 s.", "E-204"]


def _screen(font: str, px: int, lines: list[str] = LINES) -> tuple[np.ndarray, list[tuple[int, int, int, int]]]:
    """Dark text lines on a light screen, and the drawn lines' ink boxes."""
    face = ImageFont.truetype(font, px)
    img = Image.new("L", (int(px * 24), int(px * (2.2 * len(lines) + 2))), 238)
    draw = ImageDraw.Draw(img)
    boxes = []
    for i, text in enumerate(lines):
        xy = (px * 2, int(px * (1 + 2.2 * i)))
        draw.text(xy, text, font=face, fill=30)
        x0, y0, x1, y1 = draw.textbbox(xy, text, font=face)
        boxes.append((int(x0), int(y0), int(x1 - x0), int(y1 - y0)))
    return np.asarray(img).copy(), boxes


@pytest.mark.parametrize("font", FONTS)
@pytest.mark.parametrize("px", [14, 18, 30])
def test_finds_each_drawn_line_once(font, px):
    gray, drawn = _screen(font, px)
    found = find_lines(gray, glyph_px=18)
    assert len(found) == len(drawn), [b.box for b in found]
    for (x, y, w, h), box in zip(drawn, found, strict=True):
        # The found box covers the drawn line (up to a few pixels of anti-aliasing).
        assert box.y <= y + 4 and box.y + box.h >= y + h - 4
        assert box.x <= x + 4 and box.x + box.w >= x + w - 8
        assert box.h <= 1.6 * h  # one line, not two joined


def test_lines_are_ordered_top_to_bottom_and_cropped_with_a_margin():
    gray, drawn = _screen(FONTS[0], 20)
    found = find_lines(gray)
    assert [b.y for b in found] == sorted(b.y for b in found)
    crop = crop_line(gray, found[1])
    assert crop.shape[0] > found[1].h and crop.shape[1] > found[1].w
    assert crop.min() < 100 and np.median(crop) > 200  # ink on light ground


def test_a_caption_and_its_code_far_apart_on_one_row_are_one_line():
    face = ImageFont.truetype(FONTS[0], 20)
    img = Image.new("L", (700, 80), 238)
    draw = ImageDraw.Draw(img)
    draw.text((20, 30), "Error code:", font=face, fill=30)
    draw.text((210, 30), "U4-38", font=face, fill=30)
    (line,) = find_lines(np.asarray(img).copy())
    assert line.x < 25 and line.x + line.w > 260


def test_nothing_on_blank_and_no_lines_from_noise():
    assert find_lines(np.full((200, 400), 238, np.uint8)) == []
    noise = np.random.default_rng(1).integers(0, 256, (300, 500), dtype=np.uint8)
    assert len(find_lines(noise)) <= 3  # texture is either dropped as too busy or yields a few specks at most


def test_tiny_images_give_nothing():
    assert find_lines(np.zeros((4, 100), np.uint8)) == []


def test_line_box_tuple():
    assert LineBox(1, 2, 3, 4, 0.5).box == (1, 2, 3, 4)


@pytest.mark.parametrize(("ours", "theirs", "expected"), [
    ("SEQ4295", "SEQ 4295", "SEQ 4295"),  # a gap the whole-line reader dropped comes back
    ("00:57:24Y-165.895", "00:57:24 Y -165.895", "00:57:24 Y -165.895"),
    ("F3HIST", "} LF3 HST ]", "F3 HIST"),  # garbled around the gap, but the glyphs beside it agree
    ("A3B4", "ASB4", "A3B4"),  # no gap in the other reading: nothing to add
    ("Blad: E12", "Bad E12", "Blad: E12"),  # the reader's own spaces stay
    ("KQ7713", "KO 77 I3", "KQ7713"),  # a gap beside a glyph the readings disagree on is not trusted
    ("E-204", "", "E-204"),
])
def test_a_whole_line_reading_gets_back_the_word_gaps_the_other_reading_saw(ours, theirs, expected):
    from diagnostics.analyzer import _respaced

    assert _respaced(ours, theirs) == expected
