"""Seven- and fourteen-segment decoding on glyphs of real segment fonts (DSEG7/DSEG14, upright and italic) and
drawn slanted digits: letters, two-letter codes, dashes, dots and colons between glyphs."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from diagnostics.sevenseg import read_seven_segment
from testkit.synth.sevenseg import draw_seven_segment

DSEG = Path("/usr/share/fonts/truetype/dseg")  # fonts-dseg, installed by scripts/install-system.sh
SEVEN_FONTS = ["DSEG7Classic-Bold", "DSEG7Classic-Italic", "DSEG7Modern-Regular", "DSEG7Modern-BoldItalic"]
FOURTEEN_FONTS = ["DSEG14Classic-Bold", "DSEG14Classic-Italic", "DSEG14Modern-Regular", "DSEG14Modern-BoldItalic"]
# What a seven-segment panel can show (its letters drawn as the font draws them: b, c, d, h, u in lower case).
SEVEN_TEXTS = ["E67", "E:28", "E.83", "EA", "dE", "A5", "CH71", "PB-09", "L.E", "F7E9"]
FOURTEEN_TEXTS = SEVEN_TEXTS + ["CF", "U4", "J1-33", "HE", "PG", "HA-44", "M5", "E:04"]


def _font_panel(text: str, font: str, px: int, ghost: str) -> np.ndarray:
    """Dark glyphs over faint unlit segments on a light panel, as the pipeline prepares a display."""
    face = ImageFont.truetype(str(DSEG / f"{font}.ttf"), px)
    img = Image.new("L", (int(face.getlength(text)) + 80, px * 2), 235)
    draw = ImageDraw.Draw(img)
    draw.text((40, px // 2), ghost * len(text), font=face, fill=215)
    draw.text((40, px // 2), text, font=face, fill=25)
    return np.asarray(img).copy()


def _read(gray: np.ndarray) -> list[str]:
    return [ln.text.upper() for ln in read_seven_segment(gray)]


@pytest.mark.parametrize("font", SEVEN_FONTS)
@pytest.mark.parametrize("px", [52, 80])
def test_seven_segment_fonts(font, px):
    if not DSEG.is_dir():
        pytest.fail("fonts-dseg is missing: run scripts/install-system.sh")
    misread = {t: _read(_font_panel(t, font, px, "8")) for t in SEVEN_TEXTS}
    assert {t: r for t, r in misread.items() if r != [t.upper()]} == {}


@pytest.mark.parametrize("font", FOURTEEN_FONTS)
@pytest.mark.parametrize("px", [52, 80])
def test_fourteen_segment_fonts(font, px):
    misread = {t: _read(_font_panel(t, font, px, "~")) for t in FOURTEEN_TEXTS}
    # DSEG14 draws a lower-case d as a D; both decode to the same code.
    assert {t: r for t, r in misread.items() if r != [t.upper()]} == {}


@pytest.mark.parametrize("slant", [0.0, 0.12, 0.22])
@pytest.mark.parametrize("text", ["E:28", "L.E", "E.83", "C7", "dE"])
def test_drawn_italic_digits_with_dots_and_colons(text, slant):
    height = 90
    img = np.full((height * 2, 140 + len(text) * height), 235, np.uint8)
    rgb = np.dstack([img] * 3)
    draw_seven_segment(rgb, text, (50, height // 2), height, (25, 25, 25), (215, 215, 215), slant=slant)
    assert _read(rgb[:, :, 0].copy()) == [text.upper()]


def test_the_decoded_row_carries_its_box():
    gray = _font_panel("E:28", "DSEG7Classic-Bold", 80, "8")
    (line,) = read_seven_segment(gray)
    x, y, w, h = line.words[0].box
    assert line.words[0].text == "E:28"
    assert 30 <= x <= 50 and 0.7 * 80 <= h <= 1.1 * 80 and w > 2 * h


def test_printed_labels_under_a_tilted_panel_do_not_join_its_row():
    face = ImageFont.truetype(str(DSEG / "DSEG14Classic-Bold.ttf"), 120)
    small = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 18)
    img = Image.new("L", (520, 260), 235)
    draw = ImageDraw.Draw(img)
    draw.text((60, 20), "HE", font=face, fill=25)
    draw.text((70, 168), "Build 25611.7514   10:41 PM", font=small, fill=40)
    tilted = img.rotate(4, resample=Image.Resampling.BICUBIC, fillcolor=235)
    assert _read(np.asarray(tilted).copy()) == ["HE"]
