"""The per-frame pipeline with real tesseract on synthetic phone captures of several screen kinds."""

import numpy as np
import pytest

from diagnostics.analyzer import FrameAnalyzer
from testkit.synth.capture import random_capture_params, render_capture
from testkit.synth.screens import SAMPLES, ScreenStyle, render_error_screen, screen_text

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


def _screen_beside_a_barcode() -> np.ndarray:
    """A lit display with a code, and a barcode sticker on the desk whose bars look like text strokes."""
    import cv2

    frame = np.full((720, 1280, 3), (110, 90, 100), np.uint8)
    cv2.rectangle(frame, (700, 40), (1240, 360), (30, 30, 30), -1)  # bezel
    cv2.rectangle(frame, (720, 60), (1220, 340), (235, 235, 235), -1)  # lit display
    cv2.putText(frame, "Error 0x80240034", (750, 160), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (20, 20, 20), 2, cv2.LINE_AA)
    cv2.rectangle(frame, (20, 470), (420, 705), (250, 250, 250), -1)
    rng, x = np.random.default_rng(3), 40
    while x < 390:
        w = int(rng.integers(3, 12))
        cv2.rectangle(frame, (x, 490), (x + w, 690), (10, 10, 10), -1)
        x += w + int(rng.integers(4, 12))
    return frame


def test_the_screen_outline_is_a_second_guess_when_no_outline_holds_the_text(engine, config):
    from diagnostics.frames import to_gray
    from diagnostics.preprocess import prepare

    analyzer = FrameAnalyzer(config, engine)
    regions = analyzer.locate(to_gray(_screen_beside_a_barcode()))
    assert [how for _, how in regions] == ["text-block", "outline"]
    outline = prepare(regions[1][0], config.target_text_px, config.max_ocr_width)
    assert "0x80240034" in "".join(ln.text for ln in engine.read(outline, "eng"))


def test_the_next_region_is_read_when_the_first_shows_no_code(engine, config):
    class FirstRegionBlank(FrameAnalyzer):
        def locate(self, gray):
            return [(np.full((120, 300), 200, np.uint8), "blank"), *super().locate(gray)]

    analysis = FirstRegionBlank(config, engine).analyze(_screen_beside_a_barcode())
    assert [r.code for r in analysis.reads] == ["0x80240034"] and analysis.region != "blank"
    assert analysis.regions_read[0] == "blank" and len(analysis.regions_read) == 2


def test_a_clearly_read_screen_without_a_code_is_not_read_twice(engine, config):
    import cv2

    frame = np.full((720, 1280, 3), (110, 90, 100), np.uint8)
    cv2.rectangle(frame, (200, 100), (1080, 620), (30, 30, 30), -1)
    cv2.rectangle(frame, (230, 130), (1050, 590), (235, 235, 235), -1)
    for i, text in enumerate(["Ready to print", "Tray two loaded with paper", "Toner level good"]):
        cv2.putText(frame, text, (280, 230 + 90 * i), cv2.FONT_HERSHEY_SIMPLEX, 1.4, (20, 20, 20), 3, cv2.LINE_AA)
    analysis = FrameAnalyzer(config, engine).analyze(frame)
    assert analysis.reads == [] and analysis.regions_read == ["screen"], [ln.text for ln in analysis.lines]


def test_the_whole_frame_is_the_second_guess_but_never_read_as_a_bare_display(engine, config):
    from testkit.synth.sevenseg import draw_seven_segment

    # Segment digits that only the segment decoder reads; offered as a whole frame after a blank region, they
    # must not be decoded (scenery read as a bare display gave false codes such as "P8").
    frame = np.full((360, 640, 3), (40, 45, 40), np.uint8)
    draw_seven_segment(frame, "E5", (220, 100), 160, (120, 240, 120), (50, 70, 50))

    class BlankThenFrame(FrameAnalyzer):
        def locate(self, gray):
            return [(np.full((120, 300), 200, np.uint8), "blank"), (gray, "frame")]

    analysis = BlankThenFrame(config, engine).analyze(frame)
    assert analysis.regions_read == ["blank", "frame"]
    assert not any(p in ("frame:segments", "frame:lone-line") for p in analysis.passes), analysis.passes
    assert "frame:eng" in analysis.passes
    assert FrameAnalyzer(config, engine).analyze(frame).reads  # the same panel as a first guess is read


def test_one_region_found_leaves_the_whole_frame_as_the_second_guess(engine, config):
    import cv2

    from diagnostics.frames import to_gray

    frame = np.full((360, 640, 3), (40, 45, 40), np.uint8)
    cv2.putText(frame, "E-204", (200, 200), cv2.FONT_HERSHEY_SIMPLEX, 2.0, (230, 230, 230), 4, cv2.LINE_AA)
    assert [how for _, how in FrameAnalyzer(config, engine).locate(to_gray(frame))][-1] == "frame"


TUNED_FAMILIES = ["hp", "copier", "inkjet", "washer", "aircon", "windows", "network", "obd", "generic"]  # open-eval


@pytest.mark.parametrize(("seed", "code", "height"), [(5, "F74", 720), (5, "E:28", 720), (5, "HE", 720), (6, "J2-35", 720)])
def test_a_segment_panel_outranks_the_small_print_and_tesseracts_garbled_reading(engine, config, seed, code, height):
    # Filmed 7/14-segment panels of the open set's tuned families (washer, aircon) with printed labels under the
    # digits: Tesseract read a model name (M793n as M793) or garbage from the glyphs, which used to keep the
    # segment decoder from running; a colon between glyphs and a panel tilted onto its labels are decoded too.
    from testkit.synth.open_set import plan_open, render_open_clip

    [spec] = [s for s in plan_open(TUNED_FAMILIES, seed, 3, 0, ((640, 360), (1280, 720)))
              if s.content.code == code and s.size[1] == height]
    frame = render_open_clip(spec, 10, 0.3, 1.2)[-4]
    analysis = FrameAnalyzer(config, engine).analyze(frame)
    assert [r.code for r in analysis.reads] == [code], [ln.text for ln in analysis.lines]
    assert "segments" in analysis.passes
