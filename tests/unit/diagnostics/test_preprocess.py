"""OCR preparation: polarity detection, glare flattening, upscaling of small text."""

import cv2
import numpy as np

from diagnostics.preprocess import is_light_on_dark, prepare, text_height


def _text_image(fg: int, bg: int, scale: float = 1.0) -> np.ndarray:
    img = np.full((int(120 * scale), int(400 * scale)), bg, np.uint8)
    cv2.putText(img, "Error E-204", (int(10 * scale), int(70 * scale)), cv2.FONT_HERSHEY_SIMPLEX, 1.2 * scale, fg,
                max(1, int(3 * scale)))
    return img


def test_polarity():
    assert not is_light_on_dark(_text_image(20, 230))
    assert is_light_on_dark(_text_image(230, 20))


def test_polarity_survives_moire_stripes():
    img = _text_image(30, 190).astype(np.float32)
    xx = np.arange(img.shape[1], dtype=np.float32)[None, :]
    img *= 1 + 0.15 * np.sin(2 * np.pi * 0.3 * xx)
    assert not is_light_on_dark(np.clip(img, 0, 255).astype(np.uint8))


def test_prepare_gives_dark_text_on_light_and_upscales_small_text():
    small = _text_image(230, 20, scale=0.35)  # light-on-dark LCD, tiny text
    out = prepare(small, target_px=18, max_width=1400)
    assert out.shape[1] > small.shape[1]  # upscaled
    assert np.median(out) > 128  # background now light
    assert text_height(out) >= 10


def test_glare_gradient_is_flattened():
    img = _text_image(40, 200).astype(np.float32)
    img += np.linspace(0, 50, img.shape[1], dtype=np.float32)[None, :]  # brighter to the right
    out = prepare(np.clip(img, 0, 255).astype(np.uint8), target_px=18, max_width=1400)
    left, right = out[:, : out.shape[1] // 4], out[:, -out.shape[1] // 4:]
    assert abs(float(np.median(left)) - float(np.median(right))) < 15
