"""Codes among text of a script the first language lacks (Japanese dialogs), and segment codes with a dot, read
from filmed phone captures with real tesseract."""

from dataclasses import replace

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from diagnostics.analyzer import FrameAnalyzer
from diagnostics.known import KnownCodes
from testkit.synth.capture import random_capture_params, render_capture

CJK_FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
DSEG14 = "/usr/share/fonts/truetype/dseg/DSEG14Classic-Bold.ttf"


def _film(screen_rgb: Image.Image, size: tuple[int, int], seed: int) -> np.ndarray:
    screen = np.asarray(screen_rgb)[:, :, ::-1].copy()
    aspect = screen.shape[1] / screen.shape[0]
    return render_capture(screen, random_capture_params(np.random.default_rng(seed), size, aspect, 0.6), size)


def _japanese_dialog(title: str, message: str) -> Image.Image:
    img = Image.new("RGB", (960, 600), (245, 245, 245))
    draw = ImageDraw.Draw(img)
    draw.text((80, 150), title, font=ImageFont.truetype(CJK_FONT, 56), fill=(20, 20, 20))
    draw.text((80, 300), message, font=ImageFont.truetype(CJK_FONT, 36), fill=(20, 20, 20))
    return img


@pytest.mark.parametrize(("title", "message", "code", "size", "seed"), [
    ("エラーE14", "給水できません", "E14", (640, 360), 1),  # the keyword glued to the code
    ("エラーコード：U4-01", "室外機の異常です", "U4-01", (1280, 720), 7),
    ("エラー H07", "フィルターを確認してください", "H07", (640, 360), 3),
])
def test_a_japanese_dialog_is_read_with_the_japanese_model(engine, config, title, message, code, size, seed):
    frame = _film(_japanese_dialog(title, message), size, seed)
    analysis = FrameAnalyzer(config, engine).analyze(frame)
    assert [r.code for r in analysis.reads] == [code], [ln.text for ln in analysis.lines]
    assert "jpn" in analysis.passes
    # Without the other-script pass the English model reads the kana as letters glued to the code.
    without = FrameAnalyzer(replace(config, script_languages=""), engine).analyze(frame)
    assert [r.code for r in without.reads] != [code]


def test_a_latin_screen_does_not_pay_for_the_other_script_pass(engine, config):
    img = Image.new("RGB", (960, 600), (245, 245, 245))
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 44)
    for y, text in ((120, "Printer error"), (240, "105-977"), (360, "Paper jam in tray 2")):
        draw.text((80, y), text, font=font, fill=(20, 20, 20))
    analysis = FrameAnalyzer(config, engine).analyze(_film(img, (640, 360), 4))
    assert [r.code for r in analysis.reads] == ["105-977"]
    assert "jpn" not in analysis.passes


def test_a_language_without_installed_data_is_skipped(engine, config):
    frame = _film(_japanese_dialog("エラーE14", "給水できません"), (1280, 720), 5)
    analysis = FrameAnalyzer(replace(config, script_languages="xxx_missing+jpn"), engine).analyze(frame)
    assert [r.code for r in analysis.reads] == ["E14"]


@pytest.mark.parametrize(("text", "size"), [("F.37", (640, 360)), ("F.E", (1280, 720))])
def test_a_segment_code_keeps_its_dot_beside_an_undotted_catalog_twin(engine, config, text, size):
    face = ImageFont.truetype(DSEG14, 110)
    img = Image.new("RGB", (int(face.getlength(text)) + 200, 280), (20, 28, 22))
    draw = ImageDraw.Draw(img)
    draw.text((90, 60), "~" * len(text.replace(".", "")), font=face, fill=(40, 55, 45))
    draw.text((90, 60), text, font=face, fill=(90, 250, 160))
    known = KnownCodes([text.replace(".", ""), "E-204"])  # the catalog knows F37 / FE, not the dotted code
    analysis = FrameAnalyzer(config, engine, known=known).analyze(_film(img, size, 6))
    assert [r.code for r in analysis.reads] == [text]


@pytest.mark.parametrize(("font", "size", "seed"), [
    ("/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf", (640, 360), 2),
    ("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf", (640, 360), 1),
])
def test_a_lower_case_prefix_is_not_cut_by_the_upper_case_re_read(engine, config, font, size, seed):
    """The constrained re-read has no lower case ("Err:21" came back as "E:21"): the printed prefix stays."""
    img = Image.new("RGB", (640, 240), (120, 210, 170))
    draw = ImageDraw.Draw(img)
    for i, line in enumerate(("Err:21", "Card read failed")):
        draw.text((40, 30 + i * 66), line, font=ImageFont.truetype(font, 44), fill=(40, 40, 30))
    analysis = FrameAnalyzer(config, engine).analyze(_film(img, size, seed))
    assert [r.code for r in analysis.reads] == ["ERR:21"]
