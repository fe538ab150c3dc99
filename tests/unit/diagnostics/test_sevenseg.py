"""Seven-segment decoding on drawn segment displays (dark segments on light, as prepared for OCR)."""

from pathlib import Path

import cv2
import numpy as np
import pytest

from diagnostics.sevenseg import read_seven_segment
from testkit.synth.sevenseg import draw_seven_segment


def _panel(text: str, height: int = 90, slant: float = 0.08, unlit: bool = True) -> np.ndarray:
    img = np.full((height * 2, 120 + len(text) * height), 235, np.uint8)
    rgb = np.dstack([img] * 3)
    off = (215, 215, 215) if unlit else None
    draw_seven_segment(rgb, text, (40, height // 2), height, (25, 25, 25), off, slant=slant)
    return rgb[:, :, 0].copy()


@pytest.mark.parametrize("text", ["E5", "F3", "E21", "E04", "H1", "C7", "8888", "E-2"])
def test_reads_segment_codes(text):
    lines = read_seven_segment(_panel(text))
    assert [ln.text for ln in lines] == [text]
    assert lines[0].confidence > 0.8


def test_upright_digits_and_two_rows():
    assert [ln.text for ln in read_seven_segment(_panel("F3", slant=0.0))] == ["F3"]
    top, bottom = _panel("Err"), _panel("E04")
    width = max(top.shape[1], bottom.shape[1])
    pad = lambda a: np.pad(a, ((0, 0), (0, width - a.shape[1])), constant_values=235)  # noqa: E731
    both = np.vstack([pad(top), pad(bottom)])
    assert [ln.text for ln in read_seven_segment(both)] == ["Err", "E04"]


def test_nothing_from_blank_or_noise():
    assert read_seven_segment(np.full((200, 400), 235, np.uint8)) == []
    noise = np.random.default_rng(0).integers(0, 256, (200, 400), dtype=np.uint8)
    assert all("?" not in ln.text for ln in read_seven_segment(noise))


def test_a_scene_whose_glyph_cell_is_empty_in_its_band_does_not_crash():
    # A real frame of scenery (binarised, from a bench clip) once raised IndexError in the decoder.
    path = Path(__file__).with_name("fixtures") / "sevenseg_empty_cell.png"
    gray = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    assert gray is not None
    assert all("?" not in ln.text for ln in read_seven_segment(gray))


@pytest.mark.parametrize(
    "name", ["sevenseg_merged_outlines.png", "sevenseg_two_close_rows.png", "sevenseg_small_close_rows.png"])
def test_received_panels_with_blurred_segments_and_close_rows(name):
    # Prepared OCR inputs of received VP8 frames: "Err" over "E04". Blur joins a glyph's segments into one
    # sparse outline; the rows are closer together than a quarter of a digit.
    gray = cv2.imread(str(Path(__file__).with_name("fixtures") / name), cv2.IMREAD_GRAYSCALE)
    assert gray is not None
    assert [ln.text for ln in read_seven_segment(gray)] == ["Err", "E04"]
