"""Zeros told by their holes: slashed/barred/dotted zeros read as 8, 9 or 6 are restored, real 6/8/9 kept."""

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from diagnostics.glyphs import looks_like_zero, restore_zeros

DEJAVU = "/usr/share/fonts/truetype/dejavu/"
FONTS = ["DejaVuSansMono.ttf", "DejaVuSansMono-Bold.ttf", "DejaVuSans.ttf", "DejaVuSerif.ttf"]


def render(text: str, font: str, px: int) -> np.ndarray:
    """Dark text on light, slightly blurred, as a prepared OCR crop of one word."""
    face = ImageFont.truetype(DEJAVU + font, px)
    img = Image.new("L", (int(face.getlength(text)) + 12, px + 12), 255)
    ImageDraw.Draw(img).text((6, 4), text, font=face, fill=20)
    return cv2.GaussianBlur(np.array(img), (3, 3), 0)


@pytest.mark.parametrize("font", FONTS)
@pytest.mark.parametrize(("shown", "misread"), [("E-000", "E-888"), ("SC990-01", "SC998-81"), ("E-000", "E-009")])
def test_zeros_misread_as_round_digits_are_restored(font, shown, misread):
    for px in (24, 28, 32, 40):
        assert restore_zeros(render(shown, font, px), misread) == shown, px


@pytest.mark.parametrize("font", FONTS)
@pytest.mark.parametrize("shown", ["E-888", "E-689", "E-999", "E-666", "SC899", "49.4C02", "0x8024402C", "0x80070005"])
def test_real_round_digits_and_zeros_are_kept(font, shown):
    for px in (18, 22, 24, 28, 32, 40):
        assert restore_zeros(render(shown, font, px), shown) == shown


def test_unsure_shapes_change_nothing():
    assert restore_zeros(np.zeros((0, 0), np.uint8), "E-888") == "E-888"
    assert restore_zeros(np.full((30, 80), 255, np.uint8), "E-888") == "E-888"  # no glyphs
    assert restore_zeros(render("E-000", "DejaVuSans.ttf", 28), "E-88") == "E-88"  # glyphs and text disagree


def test_a_barred_zero_is_a_zero_and_an_eight_is_not():
    barred = np.zeros((40, 26), np.uint8)
    cv2.ellipse(barred, (13, 20), (11, 18), 0, 0, 360, 255, 3)
    cv2.line(barred, (3, 20), (23, 20), 255, 3)
    eight = np.zeros((40, 26), np.uint8)
    cv2.circle(eight, (13, 10), 8, 255, 3)
    cv2.circle(eight, (13, 29), 9, 255, 3)
    assert looks_like_zero(barred) and not looks_like_zero(eight)


def render_tracked(text: str, font: str, px: int, track: int, blur: int) -> np.ndarray:
    """Glyph by glyph with extra (or negative) spacing and a blur, so neighbours may touch."""
    face = ImageFont.truetype(DEJAVU + font, px)
    img = Image.new("L", (int(face.getlength(text)) + 40, px + 12), 255)
    draw, x = ImageDraw.Draw(img), 6.0
    for ch in text:
        draw.text((x, 4), ch, font=face, fill=20)
        x += face.getlength(ch) + track
    return cv2.GaussianBlur(np.array(img), (blur, blur), 0)


@pytest.mark.parametrize("font", [*FONTS, "DejaVuSans-Bold.ttf", "DejaVuSansCondensed.ttf"])
def test_real_six_eight_nine_never_become_zero_even_when_glyphs_touch(font):
    for px in (16, 20, 28, 40):
        for track in (-2, 0, 2):
            for blur in (1, 3, 5):
                for shown in ("E-888", "E-999", "E-666", "E-689", "SC899", "0x80070005"):
                    assert restore_zeros(render_tracked(shown, font, px, track, blur), shown) == shown
