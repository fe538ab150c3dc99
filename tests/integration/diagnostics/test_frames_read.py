"""The per-frame pipeline with real tesseract on synthetic phone captures of several screen kinds."""

import numpy as np
import pytest

from bench.synth.capture import random_capture_params, render_capture
from bench.synth.screens import SAMPLES, ScreenStyle, render_error_screen, screen_text
from diagnostics.analyzer import FrameAnalyzer

CASES = [
    # (sample index, style, screen size, frame size, seed)
    (0, ScreenStyle("dialog", "sans", (20, 20, 20), (245, 245, 245)), (960, 600), (1280, 720), 1),
    (0, ScreenStyle("bluescreen", "sans", (255, 255, 255), (170, 100, 20)), (960, 600), (640, 360), 2),
    (8, ScreenStyle("lcd", "mono", (40, 40, 30), (120, 210, 170)), (640, 240), (1280, 720), 3),
    (14, ScreenStyle("panel", "mono-bold", (255, 240, 200), (70, 30, 10)), (640, 240), (1280, 720), 4),
    (12, ScreenStyle("dialog", "serif", (230, 230, 230), (45, 40, 40)), (960, 600), (1280, 720), 5),
    (19, ScreenStyle("sevenseg", "sevenseg", (40, 40, 255), (20, 12, 12)), (440, 220), (1280, 720), 6),
    (23, ScreenStyle("lcd", "cjk", (40, 40, 30), (120, 210, 170)), (640, 260), (1280, 720), 7),
    (26, ScreenStyle("dialog", "cjk", (20, 20, 20), (245, 245, 245)), (960, 600), (1280, 720), 8),
]


def _frame(index, style, screen_size, size, seed, severity=0.6):
    sample = SAMPLES[index]
    screen = render_error_screen(sample.code, screen_text(sample), style, screen_size)
    params = random_capture_params(np.random.default_rng(seed), size, screen_size[0] / screen_size[1], severity)
    return sample.code, render_capture(screen, params, size)


@pytest.mark.parametrize(("index", "style", "screen_size", "size", "seed"), CASES)
def test_reads_the_code_from_a_phone_capture(engine, config, index, style, screen_size, size, seed):
    code, frame = _frame(index, style, screen_size, size, seed)
    analysis = FrameAnalyzer(config, engine).analyze(frame)
    found = [r.code for r in analysis.reads]
    assert code in found, (found, [ln.text for ln in analysis.lines])
    assert set(found) == {code}  # and nothing else


def test_screen_without_a_code_gives_nothing(engine, config):
    style = ScreenStyle("dialog", "sans", (20, 20, 20), (245, 245, 245))
    screen = render_error_screen("", "Ready\nTray 2: Letter\nSoftware version 10.5", style, (960, 600))
    params = random_capture_params(np.random.default_rng(9), (1280, 720), 1.6, 0.6)
    assert FrameAnalyzer(config, engine).analyze(render_capture(screen, params, (1280, 720))).reads == []


def test_chinese_message_text_is_read_with_chi_sim(engine, config):
    code, frame = _frame(*CASES[6])
    analyzer = FrameAnalyzer(config, engine)
    analysis = analyzer.analyze(frame)
    assert analysis.ocr_input is not None
    text = "".join(ln.text for ln in analyzer.read_text(analysis.ocr_input)).replace(" ", "")
    assert "错误" in text or "代码" in text or "进水" in text
