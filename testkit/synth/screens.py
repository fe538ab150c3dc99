"""Renders flat, frontal device error screens (dialogs, LCD panels, seven-segment displays)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from testkit.synth.sevenseg import GLYPHS, draw_seven_segment

DEJAVU = "/usr/share/fonts/truetype/dejavu/"
NOTO_CJK = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
NOTO_CJK_BOLD = "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"
NOTO_SERIF_CJK = "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"
CJK_SC_INDEX = 2  # Simplified Chinese face inside the Noto CJK collections

FONTS: dict[str, tuple[str, int]] = {
    "sans": (DEJAVU + "DejaVuSans.ttf", 0),
    "sans-bold": (DEJAVU + "DejaVuSans-Bold.ttf", 0),
    "condensed": (DEJAVU + "DejaVuSansCondensed.ttf", 0),
    "serif": (DEJAVU + "DejaVuSerif.ttf", 0),
    "mono": (DEJAVU + "DejaVuSansMono.ttf", 0),
    "mono-bold": (DEJAVU + "DejaVuSansMono-Bold.ttf", 0),
    "cjk": (NOTO_CJK, CJK_SC_INDEX),
    "cjk-bold": (NOTO_CJK_BOLD, CJK_SC_INDEX),
    "cjk-serif": (NOTO_SERIF_CJK, CJK_SC_INDEX),
}

Colour = tuple[int, int, int]  # BGR


@dataclass(frozen=True, slots=True)
class ScreenStyle:
    """How a screen looks: layout, font, colours (BGR) and scale of the code line."""

    layout: str  # "dialog" | "bluescreen" | "lcd" | "sevenseg" | "panel"
    font: str  # key of FONTS, or "sevenseg"
    fg: Colour
    bg: Colour
    accent: Colour = (0, 0, 200)
    text_scale: float = 1.0  # multiplies the nominal text height


@dataclass(frozen=True, slots=True)
class ScreenSample:
    """One error screen's content: the true code, its caption and the message lines."""

    code: str
    family: str
    caption: str  # text shown before the code, e.g. "Error code:" / "错误代码"
    lines: tuple[str, ...]
    lang: str  # "en" | "zh"
    kind: str  # "pc" | "printer" | "appliance"


SAMPLES: tuple[ScreenSample, ...] = (
    ScreenSample("0x8007045D", "windows", "Error code:", ("The request could not be performed", "because of an I/O device error."), "en", "pc"),
    ScreenSample("0x80070005", "windows", "Error code:", ("Access is denied.", "Contact your administrator."), "en", "pc"),
    ScreenSample("0x80004005", "windows", "Error code:", ("Unspecified error", "Something went wrong."), "en", "pc"),
    ScreenSample("0xC000021A", "windows", "Stop code:", ("Your PC ran into a problem", "and needs to restart."), "en", "pc"),
    ScreenSample("0x800F081F", "windows", "Error code:", ("The source files could not be found.",), "en", "pc"),
    ScreenSample("0x80240034", "windows", "Error", ("Windows Update failed to download.", "We'll try again later."), "en", "pc"),
    ScreenSample("0x8024402C", "windows", "Error code:", ("Could not connect to the update service.",), "en", "pc"),
    ScreenSample("0x80070057", "windows", "Error code:", ("The parameter is incorrect.",), "en", "pc"),
    ScreenSample("49.4C02", "hp", "", ("SERVICE ERROR", "Turn off then on"), "en", "printer"),
    ScreenSample("79.04", "hp", "", ("SERVICE ERROR", "Turn off then on"), "en", "printer"),
    ScreenSample("50.2", "hp", "", ("FUSER ERROR", "Turn off then on"), "en", "printer"),
    ScreenSample("13.20.00", "hp", "", ("JAM IN", "TRAY 2"), "en", "printer"),
    ScreenSample("E-204", "canon", "Error", ("Printer error occurred.", "Turn the printer off and on."), "en", "printer"),
    ScreenSample("E-000", "canon", "Error", ("Fixing assembly error.", "Call for service."), "en", "printer"),
    ScreenSample("SC542", "ricoh", "", ("Call service center", "Fusing temperature error"), "en", "printer"),
    ScreenSample("SC899", "ricoh", "", ("Call service center", "Software performance error"), "en", "printer"),
    ScreenSample("SC990-01", "ricoh", "", ("Call service center",), "en", "printer"),
    ScreenSample("E:51", "generic-printer", "", ("Print unable", "Turn off then on"), "en", "printer"),
    ScreenSample("E:46", "generic-printer", "", ("Ink absorber full", "Contact service"), "en", "printer"),
    ScreenSample("E5", "appliance", "", (), "en", "appliance"),
    ScreenSample("F3", "appliance", "", (), "en", "appliance"),
    ScreenSample("E21", "appliance", "Error", ("Drain pump",), "en", "appliance"),
    ScreenSample("E04", "appliance", "Err", (), "en", "appliance"),
    ScreenSample("E5", "appliance", "错误代码", ("进水异常", "请检查水龙头是否打开"), "zh", "appliance"),
    ScreenSample("E04", "appliance", "故障", ("排水超时", "请检查排水管"), "zh", "appliance"),
    ScreenSample("F3", "appliance", "错误代码", ("温度传感器故障", "请联系售后服务"), "zh", "appliance"),
    ScreenSample("0x80070005", "windows", "错误代码：", ("拒绝访问。", "请联系管理员。"), "zh", "pc"),
    ScreenSample("E-204", "canon", "错误", ("打印机发生错误。", "请关闭打印机电源后再打开。"), "zh", "printer"),
)

# Screens with text but no error code, for the false-code rate.
NEGATIVE_LINES: tuple[tuple[str, ...], ...] = (
    ("Ready", "Tray 2: Letter", "Copies: 12"),
    ("Welcome", "Software version 10.5", "Temperature 23.5 C"),
    ("Washing", "Time left 0:45", "Spin 1200 rpm"),
    ("设置完成", "剩余时间 45 分钟", "温度 40 度"),
    ("Installing updates 35%", "Do not turn off your PC", "Build 22631.4460"),
    ("Select program", "Cotton 40", "Eco mode ON"),
)

SEVENSEG_COLOURS: tuple[tuple[Colour, Colour], ...] = (
    ((40, 40, 255), (20, 12, 12)),  # red on black
    ((90, 255, 90), (15, 20, 15)),  # green on black
    ((255, 220, 120), (30, 20, 10)),  # cyan-blue on dark
    ((30, 30, 30), (150, 200, 180)),  # dark segments on green-grey LCD
)
LCD_COLOURS: tuple[tuple[Colour, Colour], ...] = (
    ((40, 40, 30), (120, 210, 170)),  # dark on yellow-green backlight
    ((30, 40, 60), (90, 180, 230)),  # dark on amber
    ((255, 240, 200), (70, 30, 10)),  # light on dark blue LCD
    ((230, 255, 230), (20, 20, 20)),  # light on black OLED
)
DIALOG_COLOURS: tuple[tuple[Colour, Colour], ...] = (
    ((20, 20, 20), (245, 245, 245)),
    ((60, 40, 30), (235, 225, 215)),
    ((230, 230, 230), (45, 40, 40)),  # dark mode
)


@lru_cache(maxsize=64)
def _font(name: str, px: int) -> ImageFont.FreeTypeFont:
    path, index = FONTS[name]
    return ImageFont.truetype(path, px, index=index)


def _code_line(sample_code: str, caption: str) -> str:
    if not caption:
        return sample_code
    sep = "" if caption.endswith("：") else " "
    return f"{caption}{sep}{sample_code}"


def render_error_screen(code: str, text: str, style: ScreenStyle, size: tuple[int, int]) -> np.ndarray:
    """Render a flat screen (BGR uint8, size = (width, height)) showing text lines and the code line.

    ``text`` holds the screen's lines separated by newlines; the line containing ``code`` (or the code
    alone, if no line contains it) is drawn as the prominent code line.
    """
    w, h = size
    img = np.full((h, w, 3), style.bg, np.uint8)
    lines = [ln for ln in text.split("\n") if ln] or [code]
    if code and not any(code in ln for ln in lines):
        lines.insert(0, code)
    if style.layout == "sevenseg":
        # A segment display only shows short tokens it can draw (e.g. "Err" then "E04").
        tokens = [t for ln in lines for t in ln.split() if len(t) <= 6 and all(c.upper() in GLYPHS or c in ".:" for c in t)]
        return _render_sevenseg(img, tokens or [code], style)
    return _render_text_screen(img, lines, code, style)


def _render_sevenseg(img: np.ndarray, lines: list[str], style: ScreenStyle) -> np.ndarray:
    h, w = img.shape[:2]
    digits = max(len(ln) for ln in lines)
    height = int(min(h * 0.55 / len(lines), w * 0.8 / max(digits, 2) / 0.75) * style.text_scale)
    y = (h - height * len(lines) - height // 3 * (len(lines) - 1)) // 2
    dim = tuple(int(0.93 * b + 0.07 * f) for f, b in zip(style.fg, style.bg, strict=True))
    for ln in lines:
        est_w = int(len(ln) * height * 0.75)
        draw_seven_segment(img, ln, ((w - est_w) // 2, y), height, style.fg, dim)  # type: ignore[arg-type]
        y += height + height // 3
    return img


def _render_text_screen(img: np.ndarray, lines: list[str], code: str, style: ScreenStyle) -> np.ndarray:
    h, w = img.shape[:2]
    pil = Image.fromarray(cv2.cvtColor(img, cv2.COLOR_BGR2RGB))
    draw = ImageDraw.Draw(pil)
    rgb = (style.fg[2], style.fg[1], style.fg[0])
    accent = (style.accent[2], style.accent[1], style.accent[0])
    is_cjk = any(ord(c) > 0x2E80 for ln in lines for c in ln)
    font_name = style.font
    if is_cjk and not font_name.startswith("cjk"):
        font_name = "cjk"
    margin = int(w * 0.07)
    # Everything must fit: lines take ~1.8 units each (the code line a bit more), plus the title bar or ":(".
    extra = {"dialog": 2.6, "bluescreen": 4.0}.get(style.layout, 0.0)
    base = int(min(0.85 * h / (len(lines) * 1.8 + extra + 0.5), w / 22) * style.text_scale)
    base = max(base, 10)
    y = int(h * 0.12)
    if style.layout == "dialog":
        bar_h = int(base * 1.6)
        draw.rectangle([0, 0, w, bar_h], fill=accent)
        draw.text((margin // 2, bar_h * 0.2), "System", font=_font(font_name, int(base * 0.8)), fill=(255, 255, 255))
        y = bar_h + base
    elif style.layout == "bluescreen":
        draw.text((margin, y), ":(", font=_font(font_name, base * 3), fill=rgb)
        y += base * 4
    for ln in lines:
        is_code = bool(code) and code in ln
        px = int(base * (1.25 if is_code else 1.0))
        name = "sans-bold" if is_code and not is_cjk and style.font in ("sans", "condensed") else font_name
        font = _font(name, px)
        tw = draw.textlength(ln, font=font)
        x = (w - tw) / 2 if style.layout in ("lcd", "panel") else margin
        if tw > w - 2 * margin:  # shrink long lines so they fit the screen
            font = _font(name, max(8, int(px * (w - 2 * margin) / tw)))
            x = margin
        draw.text((x, y), ln, font=font, fill=rgb)
        y += int(px * 1.7)
    return cv2.cvtColor(np.asarray(pil), cv2.COLOR_RGB2BGR)


def random_style(rng: np.random.Generator, sample: ScreenSample | None = None) -> ScreenStyle:
    """A plausible style for the sample's device kind (appliances get seven-segment displays)."""
    kind = sample.kind if sample else "pc"
    zh = bool(sample and sample.lang == "zh")
    scale = float(rng.uniform(0.85, 1.15))
    if kind == "appliance" and not zh and rng.random() < 0.8:
        fg, bg = SEVENSEG_COLOURS[rng.integers(len(SEVENSEG_COLOURS))]
        return ScreenStyle("sevenseg", "sevenseg", fg, bg, text_scale=scale)
    if kind in ("printer", "appliance"):
        fg, bg = LCD_COLOURS[rng.integers(len(LCD_COLOURS))]
        fonts = ("cjk", "cjk-bold") if zh else ("mono", "mono-bold", "sans", "condensed")
        return ScreenStyle(str(rng.choice(["lcd", "panel"])), str(rng.choice(fonts)), fg, bg, text_scale=scale)
    if rng.random() < 0.3 and not zh:
        return ScreenStyle("bluescreen", "sans", (255, 255, 255), (170, 100, 20), text_scale=scale)
    fg, bg = DIALOG_COLOURS[rng.integers(len(DIALOG_COLOURS))]
    fonts = ("cjk", "cjk-serif") if zh else ("sans", "serif", "condensed", "sans-bold")
    accent = ((200, 120, 0), (60, 60, 200), (90, 90, 90))[rng.integers(3)]
    return ScreenStyle("dialog", str(rng.choice(fonts)), fg, bg, accent=accent, text_scale=scale)


def screen_text(sample: ScreenSample) -> str:
    """The newline-separated lines a sample shows, with the code line first."""
    return "\n".join((_code_line(sample.code, sample.caption), *sample.lines))


def screen_size_for(style: ScreenStyle, rng: np.random.Generator) -> tuple[int, int]:
    """Native pixel size of a screen of this layout (LCD panels are wide and short)."""
    if style.layout in ("sevenseg",):
        return int(rng.integers(360, 520)), int(rng.integers(180, 260))
    if style.layout in ("lcd", "panel"):
        return int(rng.integers(560, 760)), int(rng.integers(200, 300))
    return int(rng.integers(880, 1100)), int(rng.integers(560, 700))
