"""The learned line detector (DBNet, diagnostics/detect.py) on screens drawn for the test, and the analyzer's use of
it: once per still view whose cheap passes found no code."""

from dataclasses import replace

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from diagnostics.detect import LineDetector, thread_line_detector
from diagnostics.follow import QuietView

SANS = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
MONO = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
LINES = ("PUMP 3 STOPPED", "Fault KQ-7713", "Flow 12.5 l/min")


@pytest.fixture(scope="module")
def detector() -> LineDetector:
    return LineDetector()


def _panel(kind: str, lines: tuple[str, ...] = LINES, size: tuple[int, int] = (720, 360)
           ) -> tuple[np.ndarray, list[tuple[float, float, float, float]]]:
    """A grey screen of the given kind and each line's drawn box (x0, y0, x1, y1)."""
    w, h = size
    fg, bg = {"dark-on-light": (30, 225), "light-on-dark": (235, 25), "eink": (70, 185), "dotmatrix": (20, 170)}[kind]
    boxes: list[tuple[float, float, float, float]] = []
    img: np.ndarray
    if kind == "dotmatrix":  # glyphs of lit dots on a coarse grid, gaps between the dots
        cell = 4
        low = Image.new("L", (w // cell, h // cell), 0)
        draw = ImageDraw.Draw(low)
        draw.fontmode = "1"
        face = ImageFont.truetype(MONO, 13)
        for i, text in enumerate(lines):
            x0, y0, x1, y1 = draw.textbbox((6, 10 + 22 * i), text, font=face)
            draw.text((6, 10 + 22 * i), text, font=face, fill=255)
            boxes.append((x0 * cell, y0 * cell, x1 * cell, y1 * cell))
        lit = np.repeat(np.repeat(np.asarray(low) > 100, cell, axis=0), cell, axis=1)
        dots = np.ones((cell, cell), bool)
        dots[-1, :] = dots[:, -1] = False
        grid = np.tile(dots, (h // cell, w // cell))
        img = np.where(lit & grid, fg, np.where(grid, bg, bg - 40)).astype(np.uint8)
    else:
        pil = Image.new("L", (w, h), bg)
        draw = ImageDraw.Draw(pil)
        face = ImageFont.truetype(SANS, 34)
        for i, text in enumerate(lines):
            box = draw.textbbox((40, 50 + 90 * i), text, font=face)
            draw.text((40, 50 + 90 * i), text, font=face, fill=fg)
            boxes.append(box)
        img = np.asarray(pil)
        if kind == "eink":  # grain and a soft edge
            img = cv2.GaussianBlur(img.astype(np.float32) + np.random.default_rng(1).normal(0, 5, img.shape), (0, 0), 0.8)
            img = np.clip(img, 0, 255).astype(np.uint8)
    return img, boxes


@pytest.mark.parametrize("kind", ["dark-on-light", "light-on-dark", "eink", "dotmatrix"])
def test_each_drawn_line_is_found_once_on_any_kind_of_screen(detector, kind):
    img, drawn = _panel(kind)
    found = detector.detect(img)
    assert len(found) == len(drawn)
    for (x0, y0, x1, y1), line in zip(drawn, found, strict=True):  # both top to bottom
        # The box holds the line's glyphs (the detector adds a margin) and not the next line.
        assert line.x <= x0 + 4 and line.x + line.w >= x1 - 4
        assert line.y <= y0 + 4 and line.y + line.h >= y1 - 4 and line.h < 2 * (y1 - y0)


def test_a_bgr_image_and_a_large_one_are_read_at_the_reduced_scale(detector):
    img, drawn = _panel("dark-on-light", size=(1440, 720))
    found = detector.detect(cv2.cvtColor(img, cv2.COLOR_GRAY2BGR))
    assert len(found) == len(drawn)
    assert max(d.x + d.w for d in found) <= 1440 and max(d.y + d.h for d in found) <= 720  # the image's pixels


def test_blank_and_tiny_images_give_no_lines(detector):
    assert detector.detect(np.full((300, 500), 200, np.uint8)) == []
    assert detector.detect(np.full((10, 10), 200, np.uint8)) == []


def test_one_detector_per_thread():
    assert thread_line_detector() is thread_line_detector()


def _filmed(panel: np.ndarray, dx: int = 0) -> np.ndarray:
    """The panel in a dark bezel on a desk, 1280x720, shifted by dx pixels (hand shake)."""
    frame = np.full((720, 1280, 3), 120, np.uint8)
    cv2.rectangle(frame, (250 + dx, 150), (1030 + dx, 570), (20, 20, 20), -1)
    frame[180:540, 280 + dx:1000 + dx] = cv2.cvtColor(panel, cv2.COLOR_GRAY2BGR)
    return frame


def test_the_detector_reads_a_still_view_once(engine, config):
    from diagnostics.analyzer import DETECTED, FrameAnalyzer

    # English alone, no other-script pass: the slow passes are not what is tested here (keeps the test short).
    analyzer = FrameAnalyzer(replace(config, line_detector=True, languages="eng", script_languages=""), engine)
    panel, _ = _panel("dark-on-light", ("PUMP 3 STOPPED", "Flow 12.5 l/min", "Level 40 %"))
    first = analyzer.analyze(_filmed(panel))
    assert first.reads == [] and DETECTED not in first.passes  # a first look: the cheap passes only
    assert isinstance(first.still, QuietView) and not first.still.detected
    second = analyzer.analyze(_filmed(panel, 3), first.still)
    assert DETECTED in second.passes and second.reads == []
    assert isinstance(second.still, QuietView) and second.still.detected
    third = analyzer.analyze(_filmed(panel, 5), second.still)
    assert DETECTED not in third.passes  # the view stayed: its lines were read already
    other, _ = _panel("light-on-dark", ("MIXER READY", "Speed 1450 rpm", "Temp 36.5 C"))
    moved = analyzer.analyze(_filmed(other), third.still)
    assert DETECTED not in moved.passes  # another view: a first look again
    assert DETECTED in analyzer.analyze(_filmed(other, 2), moved.still).passes


def test_without_the_setting_the_detector_never_runs(engine, config):
    from diagnostics.analyzer import DETECTED, FrameAnalyzer

    analyzer = FrameAnalyzer(replace(config, line_detector=False), engine)
    panel, _ = _panel("dark-on-light", ("PUMP 3 STOPPED", "Flow 12.5 l/min", "Level 40 %"))
    first = analyzer.analyze(_filmed(panel))
    assert DETECTED not in analyzer.analyze(_filmed(panel, 3), first.still).passes


def test_a_dot_matrix_code_tesseract_cannot_read_is_read_from_the_detected_line_and_followed(engine, config):
    from diagnostics.analyzer import DETECTED, FrameAnalyzer

    analyzer = FrameAnalyzer(replace(config, line_detector=True), engine)
    panel, _ = _panel("dotmatrix", ("Error code", "RX-4471", "Call service"))
    first = analyzer.analyze(_filmed(panel))
    assert first.reads == []  # Tesseract reads no code from the dots
    second = analyzer.analyze(_filmed(panel, 3), first.still)
    assert [r.code for r in second.reads] == ["RX-4471"] and DETECTED in second.passes
    # The next frame of the view reads the code's line again, alone, with the same recogniser: a second read.
    third = analyzer.analyze(_filmed(panel, 5), second.still)
    assert [r.code for r in third.reads] == ["RX-4471"] and third.passes == [f"still:{DETECTED}"]


def test_detected_lines_are_cut_from_the_region_at_its_own_resolution(engine, config):
    from diagnostics.analyzer import FrameAnalyzer

    analyzer = FrameAnalyzer(replace(config, line_detector=True, detected_reread_below=1.01), engine)
    region, _ = _panel("light-on-dark", ("Fault KQ-7713",), size=(1440, 200))  # large glyphs, light on dark
    # The prepared image at a third of the size, smeared so that its glyphs are no longer legible but its line is
    # still found: only a crop cut from the region itself reads the text (in the prepared image's polarity).
    small = cv2.resize(255 - region, (480, 66), interpolation=cv2.INTER_AREA)
    prepared = cv2.GaussianBlur(cv2.resize(cv2.resize(small, (160, 22)), (480, 66)), (0, 0), 1.5)
    [line] = analyzer._read_detected_lines(prepared, [], region)
    assert line.text == "Fault KQ-7713"
    assert line.words[0].box[3] < 66  # boxes stay in the prepared image's pixels
    blurred = FrameAnalyzer(replace(config, line_detector=True, detected_reread_below=1.01,
                                    detected_at_frame_scale=False), engine)._read_detected_lines(prepared, [], region)
    assert [ln.text for ln in blurred] != ["Fault KQ-7713"]


def test_a_line_both_recognisers_read_alike_keeps_tesseracts_words(engine, config):
    from diagnostics.analyzer import FrameAnalyzer

    analyzer = FrameAnalyzer(replace(config, line_detector=True, detected_reread_below=1.01), engine)
    panel, _ = _panel("dark-on-light", ("F3 HIST", "Fault KQ-7713"))
    lines = engine.read(panel, "eng")
    assert [ln.text for ln in lines] == ["F3 HIST", "Fault KQ-7713"]
    # RapidOCR reads the same glyphs (it may drop the space of "F3 HIST"): Tesseract's words and spaces stay.
    assert analyzer._read_detected_lines(panel, lines, None) == []
    # A line Tesseract did not read is RapidOCR's.
    [only] = analyzer._read_detected_lines(panel, lines[:1], None)
    assert only.text == "Fault KQ-7713"


def test_a_worker_loads_the_models_once_and_its_analyzers_use_them(engine, config):
    import threading

    from diagnostics.analyzer import FrameAnalyzer, load_models
    from diagnostics.rapid import thread_text_reader

    loaded: list[object] = []

    def worker() -> None:  # a fresh thread, as an analysis worker's is
        load_models(replace(config, line_detector=True))
        analyzer = FrameAnalyzer(replace(config, line_detector=True), engine)
        loaded.extend([thread_line_detector(), thread_text_reader(), analyzer._detector(), analyzer._line_reader()])

    t = threading.Thread(target=worker)
    t.start()
    t.join()
    assert loaded[0] is loaded[2] and loaded[1] is loaded[3]
    assert loaded[0] is not thread_line_detector()  # this thread's own, not the worker's


def test_the_words_the_decision_gets_carry_their_recogniser_confidence_and_height(engine, config):
    from diagnostics.analyzer import FrameAnalyzer

    analyzer = FrameAnalyzer(replace(config, line_detector=True), engine)
    printed, _ = _panel("dark-on-light", ("PUMP 3 STOPPED", "Flow 12.5 l/min", "Level 40 %"))
    lines = analyzer.analyze(_filmed(printed)).lines
    assert lines and all(w.recogniser == "tesseract" and 0.05 < w.height_share < 0.3 for ln in lines for w in ln.words)
    panel, _ = _panel("dotmatrix", ("Error code", "RX-4471", "Call service"))
    first = analyzer.analyze(_filmed(panel))
    second = analyzer.analyze(_filmed(panel, 3), first.still)
    [code_line] = [ln for ln in second.lines if "RX-4471" in ln.text]
    [word] = [w for w in code_line.words if w.text == "RX-4471"]
    assert word.recogniser == "rapidocr" and 0.1 < word.height_share < 0.5  # one of three lines on the screen
    assert 0.5 < word.confidence <= 1.0 and word.script == "latin" and not word.latin_lookalike


def test_a_line_read_whole_gives_each_word_its_own_confidence():
    from diagnostics.analyzer import _words_of_line
    from diagnostics.rapid import LineRead

    read = LineRead("Fault KQ7713", 0.8, (0.99, 0.98, 0.97, 0.99, 0.98, 0.5, 0.6, 0.7, 0.9, 0.9, 0.9, 0.9))
    words = _words_of_line("Fault KQ 7713", read, (0, 0, 130, 20), np.zeros((100, 200), np.uint8))
    assert [w.text for w in words] == ["Fault", "KQ", "7713"]  # re-spaced: the glyphs keep their probabilities
    assert [round(w.confidence, 3) for w in words] == [0.982, 0.65, 0.9]
    assert all(w.recogniser == "rapidocr" and w.height_share == 0.2 for w in words)
    assert read.word_confidences() == pytest.approx([0.982, 0.8167], abs=1e-3)


def _turned(img: np.ndarray, degrees: float) -> np.ndarray:
    h, w = img.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    return cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)


def test_a_turned_line_is_cut_upright_along_its_corners(detector):
    from diagnostics.detect import upright_crop
    from diagnostics.rapid import RapidLineReader

    lines = ("Sample ID 250090-0782", "Alarm: SP964", "Rack 32 Pos 9")
    panel, _ = _panel("dark-on-light", lines, size=(720, 300))
    turned = _turned(panel, 6.0)  # a phone held at an angle
    found = detector.detect(turned)
    assert len(found) == 3 and all(d.quad is not None for d in found)
    reader = RapidLineReader(allowed=None)
    read = [reader.read_line(upright_crop(turned, d.quad)).text for d in found]
    assert ["".join(t.split()) for t in read] == ["".join(t.split()) for t in lines]
    # The corners follow the slope: the right end of each line sits higher than its left end (turned anticlockwise).
    assert all(d.quad[1][1] < d.quad[0][1] - 10 for d in found)


def test_upright_crop_is_the_quads_content_with_a_margin():
    from diagnostics.detect import upright_crop

    img = np.zeros((100, 200), np.uint8)
    img[40:60, 50:150] = 255
    quad = np.array([[50, 40], [150, 40], [150, 60], [50, 60]], np.float32)
    crop = upright_crop(img, quad, pad=0.5)
    assert crop.shape == (40, 120)
    assert crop[20, 60] == 255 and crop[2, 2] == 0  # the line in the middle, ground around it


def test_a_code_read_surely_after_its_caption_leaves_the_detector_idle_and_an_unsure_one_does_not(engine, config):
    from diagnostics.analyzer import DETECTED, FrameAnalyzer

    analyzer = FrameAnalyzer(replace(config, line_detector=True, languages="eng", script_languages=""), engine)
    panel, _ = _panel("dark-on-light", ("Error code: KQ-7713", "Flow 12.5 l/min", "Level 40 %"))
    first = analyzer.analyze(_filmed(panel))
    assert [r.code for r in first.reads] == ["KQ-7713"] and first.reads[0].labelled
    # The view stays, the code's line is followed, and no detector runs: the code was read surely after "Error code".
    second = analyzer.analyze(_filmed(panel, 3), first.still)
    assert second.passes == ["still:eng"]
    # A dot-matrix panel whose dots Tesseract reads as nothing sure: the detector reads the view's second frame.
    dots, _ = _panel("dotmatrix", ("Error code", "RX-4471", "Call service"))
    one = analyzer.analyze(_filmed(dots))
    two = analyzer.analyze(_filmed(dots, 3), one.still)
    assert DETECTED in two.passes and [r.code for r in two.reads] == ["RX-4471"]


def test_a_code_only_the_detector_read_is_read_again_in_the_next_frame_when_the_view_moved(engine, config):
    from diagnostics.analyzer import DETECTED, FrameAnalyzer

    analyzer = FrameAnalyzer(replace(config, line_detector=True), engine)
    dots, _ = _panel("dotmatrix", ("Error code", "RX-4471", "Call service"))
    one = analyzer.analyze(_filmed(dots))
    two = analyzer.analyze(_filmed(dots, 3), one.still)
    assert [r.code for r in two.reads] == ["RX-4471"] and DETECTED in two.passes
    # The phone moved further than a shift the follower accepts: a new view, yet the detector reads it at once
    # (before: only a still view's second frame), so the code gets its second read.
    moved = analyzer.analyze(_filmed(dots, 160), two.still)
    assert any(DETECTED in p for p in moved.passes) and [r.code for r in moved.reads] == ["RX-4471"]


def _app_scene(degrees: float = 5.0) -> np.ndarray:
    """A phone app filmed beside a device: no screen outline, the card with the code a small part of the picture."""
    frame = np.full((720, 1280), 95, np.uint8)
    pil = Image.fromarray(frame)
    draw = ImageDraw.Draw(pil)
    draw.rectangle((170, 0, 540, 720), fill=245)
    face = ImageFont.truetype(SANS, 30)
    small = ImageFont.truetype(SANS, 20)
    draw.text((200, 40), "LabLink", font=face, fill=30)
    draw.text((200, 110), "Alarm: SP964", font=face, fill=20)
    for i, text in enumerate(("Cuvette 35", "Rack 32 Pos 9", "Lot 7P744", "Temp 36.3 C", "195 tests/h")):
        draw.text((200, 200 + 40 * i), text, font=small, fill=60)
    draw.rectangle((760, 60, 1240, 700), fill=170)
    draw.rectangle((840, 120, 1200, 300), fill=35)
    return cv2.cvtColor(_turned(np.asarray(pil), degrees), cv2.COLOR_GRAY2BGR)
