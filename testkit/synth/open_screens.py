"""Renders open-set screens in many layouts and fonts: dialogs, blue screens, text LCDs, 7/14-segment panels,
phone status-bar apps, web admin pages and terminals (fonts from Debian packages, see scripts/install-system.sh).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import cast

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from testkit.synth.open_text import ScreenContent, ScreenLine
from testkit.synth.sevenseg import GLYPHS, draw_seven_segment

_TT = "/usr/share/fonts/truetype/"
_OT = "/usr/share/fonts/opentype/"
FONT_FILES: dict[str, tuple[str, int]] = {
    "dejavu-sans": (_TT + "dejavu/DejaVuSans.ttf", 0),
    "dejavu-serif": (_TT + "dejavu/DejaVuSerif.ttf", 0),
    "dejavu-mono": (_TT + "dejavu/DejaVuSansMono.ttf", 0),
    "liberation-sans": (_TT + "liberation2/LiberationSans-Regular.ttf", 0),
    "liberation-serif": (_TT + "liberation2/LiberationSerif-Regular.ttf", 0),
    "liberation-mono": (_TT + "liberation2/LiberationMono-Regular.ttf", 0),
    "free-sans": (_TT + "freefont/FreeSans.ttf", 0),
    "free-mono": (_TT + "freefont/FreeMonoBold.ttf", 0),
    "roboto": (_TT + "roboto/unhinted/RobotoTTF/Roboto-Regular.ttf", 0),
    "roboto-condensed": (_TT + "roboto/unhinted/RobotoCondensed-Regular.ttf", 0),
    "hack": (_TT + "hack/Hack-Regular.ttf", 0),
    "noto-mono": (_TT + "noto/NotoMono-Regular.ttf", 0),
    "noto-sans": (_TT + "noto/NotoSans-Regular.ttf", 0),
    "cantarell": (_OT + "cantarell/Cantarell-Regular.otf", 0),
    "inconsolata": (_TT + "inconsolata/Inconsolata.otf", 0),
    "open-sans": (_TT + "open-sans/OpenSans-Regular.ttf", 0),
    "nimbus-sans": (_OT + "urw-base35/NimbusSans-Regular.otf", 0),
    "nimbus-mono": (_OT + "urw-base35/NimbusMonoPS-Bold.otf", 0),
    "c059": (_OT + "urw-base35/C059-Roman.otf", 0),
    "lato": (_TT + "lato/Lato-Medium.ttf", 0),
    "dseg7": (_TT + "dseg/DSEG7Classic-Bold.ttf", 0),
    "dseg7-italic": (_TT + "dseg/DSEG7Classic-BoldItalic.ttf", 0),
    "dseg14": (_TT + "dseg/DSEG14Classic-Bold.ttf", 0),
    "cjk-sc": (_OT + "noto/NotoSansCJK-Regular.ttc", 2),
    "cjk-jp": (_OT + "noto/NotoSansCJK-Regular.ttc", 0),
}
SEGMENT_FONTS = ("dseg7", "dseg7-italic", "dseg14", "drawn7")  # drawn7: polygons of testkit/synth/sevenseg.py
SANS = ("dejavu-sans", "liberation-sans", "free-sans", "roboto", "noto-sans", "cantarell", "open-sans", "nimbus-sans",
        "lato")
SERIF = ("dejavu-serif", "liberation-serif", "c059")
MONO = ("dejavu-mono", "liberation-mono", "free-mono", "hack", "noto-mono", "inconsolata", "nimbus-mono",
        "roboto-condensed")
LAYOUT_FONTS: dict[str, tuple[str, ...]] = {
    "dialog": SANS + SERIF, "bluescreen": ("open-sans", "noto-sans", "roboto", "lato", "dejavu-sans"),
    "lcd": MONO, "segment": SEGMENT_FONTS, "statusbar": ("roboto", "noto-sans", "open-sans", "lato", "cantarell"),
    "webadmin": SANS + SERIF, "terminal": MONO,
}
LAYOUTS = tuple(LAYOUT_FONTS)
# Characters a seven-segment display can draw (anything else needs fourteen segments).
SEVEN_SEGMENT_CHARS = frozenset("0123456789ABCDEFHLOPUbdinrt-.: ")

Colour = tuple[int, int, int]  # RGB here (PIL)
_DIALOG = (((20, 20, 20), (245, 245, 245)), ((30, 40, 60), (215, 225, 235)), ((230, 230, 230), (40, 40, 45)))
_LCD = (((30, 40, 40), (170, 210, 120)), ((60, 40, 30), (230, 180, 90)), ((200, 240, 255), (10, 30, 70)),
        ((230, 255, 230), (20, 20, 20)))
_SEGMENT = (((255, 40, 40), (20, 12, 12)), ((90, 255, 90), (15, 20, 15)), ((120, 220, 255), (10, 20, 30)),
            ((30, 30, 30), (180, 200, 150)), ((255, 170, 40), (25, 15, 5)))
_TERMINAL = (((200, 200, 200), (12, 12, 12)), ((80, 255, 80), (0, 10, 0)), ((250, 250, 250), (40, 10, 60)))


@dataclass(frozen=True, slots=True)
class OpenStyle:
    """How an open-set screen looks."""

    layout: str  # one of LAYOUTS
    font: str  # key of FONT_FILES, or "drawn7"
    fg: Colour
    bg: Colour
    accent: Colour
    scale: float  # multiplies the nominal text size


def layouts_for(kind: str, segment: bool) -> tuple[str, ...]:
    """Layouts a device of this kind shows codes on."""
    by_kind = {
        "printer": ("dialog", "lcd", "webadmin"), "appliance": ("segment", "segment", "lcd"),
        "pc": ("bluescreen", "dialog", "statusbar"), "network": ("webadmin", "terminal", "lcd"),
        "pos": ("lcd", "dialog", "statusbar"), "vehicle": ("lcd", "statusbar", "terminal"),
        "industrial": ("lcd", "dialog", "segment"), "generic": ("dialog", "statusbar", "webadmin", "terminal"),
    }
    options = by_kind[kind]
    return options if segment else tuple(o for o in options if o != "segment") or ("lcd",)


def random_open_style(rng: np.random.Generator, layout: str, code: str) -> OpenStyle:
    """Font and colours for a layout (segment fonts only draw what their segments can)."""
    fonts = LAYOUT_FONTS[layout]
    if layout == "segment" and not set(code) <= SEVEN_SEGMENT_CHARS:
        fonts = ("dseg14",)
    elif layout == "segment" and not set(code.upper()) <= set(GLYPHS) | set(".:"):
        fonts = tuple(f for f in fonts if f != "drawn7")
    font = fonts[int(rng.integers(len(fonts)))]
    palette = {"segment": _SEGMENT, "lcd": _LCD, "terminal": _TERMINAL}.get(layout, _DIALOG)
    fg, bg = palette[int(rng.integers(len(palette)))]
    if layout == "bluescreen":
        fg, bg = (255, 255, 255), ((16, 100, 170), (0, 120, 215), (20, 20, 20))[int(rng.integers(3))]
    accent = ((0, 120, 215), (200, 60, 60), (90, 90, 90), (40, 140, 80))[int(rng.integers(4))]
    return OpenStyle(layout, font, fg, bg, accent, float(rng.uniform(0.85, 1.15)))


def screen_size(layout: str, rng: np.random.Generator) -> tuple[int, int]:
    """Native pixel size of a screen of this layout."""
    if layout == "segment":
        return int(rng.integers(380, 540)), int(rng.integers(200, 280))
    if layout == "lcd":
        return int(rng.integers(560, 760)), int(rng.integers(220, 320))
    if layout == "statusbar":
        return int(rng.integers(420, 520)), int(rng.integers(700, 860))  # a phone held upright
    return int(rng.integers(880, 1100)), int(rng.integers(560, 700))


@lru_cache(maxsize=256)
def _font(name: str, px: int) -> ImageFont.FreeTypeFont:
    path, index = FONT_FILES[name]
    return ImageFont.truetype(path, max(6, px), index=index)


def _face(style: OpenStyle, text: str, lang: str) -> str:
    """The font for a line: CJK text needs a CJK face; segment fonts only draw the code."""
    if any(ord(c) > 0x2E80 for c in text):
        return "cjk-jp" if lang == "ja" else "cjk-sc"
    if style.font in SEGMENT_FONTS:
        return "dejavu-sans"
    return style.font


def render_open_screen(content: ScreenContent, style: OpenStyle, size: tuple[int, int],
                       rng: np.random.Generator) -> np.ndarray:
    """Render a flat screen (BGR uint8 of size (width, height))."""
    w, h = size
    pil = Image.new("RGB", (w, h), style.bg)
    draw = ImageDraw.Draw(pil)
    lines = list(content.lines)
    if style.layout == "segment":
        img = _segment(pil, draw, content, style)
    else:
        top = _chrome(draw, style, w, h, content.lang, rng)
        if style.layout == "terminal":
            lines = _terminal_lines(lines, rng)
        _text_block(draw, lines, style, content.lang, (w, h), top)
        img = pil
    return cv2.cvtColor(np.asarray(img), cv2.COLOR_RGB2BGR)


def _chrome(draw: ImageDraw.ImageDraw, style: OpenStyle, w: int, h: int, lang: str, rng: np.random.Generator) -> int:
    """Draw the layout's frame (title bar, browser bar, status bar, sad face); returns where text starts."""
    small = _font("dejavu-sans", int(h * 0.035))
    if style.layout == "dialog":
        bar = int(h * 0.08)
        draw.rectangle([0, 0, w, bar], fill=style.accent)
        draw.text((w * 0.03, bar * 0.25), "System", font=_font(_face(style, "S", lang), int(bar * 0.5)), fill=(255, 255, 255))
        return bar + int(h * 0.06)
    if style.layout == "bluescreen":
        draw.text((w * 0.07, h * 0.06), ":(", font=_font(style.font, int(h * 0.16)), fill=style.fg)
        return int(h * 0.3)
    if style.layout == "webadmin":
        bar = int(h * 0.07)
        draw.rectangle([0, 0, w, bar], fill=(222, 222, 226))
        draw.rounded_rectangle([w * 0.12, bar * 0.18, w * 0.8, bar * 0.82], radius=bar // 3, fill=(255, 255, 255))
        url = f"http://192.168.{int(rng.integers(0, 3))}.{int(rng.integers(2, 250))}/status.html"
        draw.text((w * 0.14, bar * 0.28), url, font=small, fill=(60, 60, 60))
        draw.rectangle([0, bar, w * 0.2, h], fill=tuple(max(0, c - 18) for c in style.bg))
        for i, item in enumerate(("Status", "Network", "Supplies", "Logs")):
            draw.text((w * 0.02, bar + h * (0.05 + 0.06 * i)), item, font=small, fill=style.accent)
        return bar + int(h * 0.06)
    if style.layout == "statusbar":
        bar = int(h * 0.045)
        draw.rectangle([0, 0, w, bar], fill=tuple(max(0, c - 25) for c in style.bg))
        font = _font("roboto", int(bar * 0.65))
        clock = f"{int(rng.integers(0, 24)):02d}:{int(rng.integers(0, 60)):02d}"
        draw.text((w * 0.04, bar * 0.15), clock, font=font, fill=style.fg)
        draw.text((w * 0.78, bar * 0.15), f"{int(rng.integers(5, 100))}%", font=font, fill=style.fg)
        app = int(h * 0.07)
        draw.rectangle([0, bar, w, bar + app], fill=style.accent)
        return bar + app + int(h * 0.04)
    return int(h * 0.1)


def _terminal_lines(lines: list[ScreenLine], rng: np.random.Generator) -> list[ScreenLine]:
    """Prefix log-style lines with a timestamp and a level, as a console would."""
    out = [ScreenLine("$ status --verbose", "text")]
    for ln in lines:
        stamp = f"[{int(rng.integers(0, 24)):02d}:{int(rng.integers(0, 60)):02d}:{int(rng.integers(0, 60)):02d}]"
        level = "ERROR" if ln.role == "code" else "INFO"
        out.append(ScreenLine(f"{stamp} {level} {ln.text}", ln.role))
    return out


def _text_block(draw: ImageDraw.ImageDraw, lines: list[ScreenLine], style: OpenStyle, lang: str,
                size: tuple[int, int], top: int) -> None:
    w, h = size
    left = int(w * (0.25 if style.layout == "webadmin" else 0.07))
    avail_w = w - left - int(w * 0.05)
    code_big = 1.0 if style.layout == "terminal" else 1.35
    units = sum(code_big if ln.role == "code" else 1.0 for ln in lines) * 1.6
    widest = w / (12 if style.layout == "statusbar" else 20)  # a phone screen is filmed from closer
    base = int(min((h - top - h * 0.05) / max(units, 1.0), widest) * style.scale)
    y = float(top)
    centred = style.layout == "lcd"
    for ln in lines:
        px = int(base * (code_big if ln.role == "code" else 0.9 if ln.role == "number" else 1.0))
        font = _font(_face(style, ln.text, lang), px)
        tw = draw.textlength(ln.text, font=font)
        if tw > avail_w:  # long lines shrink to fit, as screens wrap or scale them
            px = max(8, int(px * avail_w / tw))
            font = _font(_face(style, ln.text, lang), px)
            tw = draw.textlength(ln.text, font=font)
        x = left + (avail_w - tw) / 2 if centred else left
        draw.text((x, y), ln.text, font=font, fill=style.fg)
        y += px * 1.6


def _segment(pil: Image.Image, draw: ImageDraw.ImageDraw, content: ScreenContent, style: OpenStyle) -> Image.Image:
    """A segment panel: the code (or the first number) big, printed labels small underneath."""
    w, h = pil.size
    main = content.code or _segment_token(content)
    dim = cast("tuple[int, int, int]", tuple(int(0.9 * b + 0.1 * f) for f, b in zip(style.fg, style.bg, strict=True)))
    height = int(min(h * 0.5, w * 0.8 / max(len(main), 2) / 0.8) * style.scale)
    if style.font == "drawn7":
        bgr = cv2.cvtColor(np.asarray(pil), cv2.COLOR_RGB2BGR)
        est = int(len(main) * height * 0.75)
        draw_seven_segment(bgr, main, ((w - est) // 2, int(h * 0.18)), height, style.fg[::-1], dim[::-1])
        pil = Image.fromarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
        draw = ImageDraw.Draw(pil)
    else:
        font = _font(style.font, height)
        tw = draw.textlength(main, font=font)
        x, y = (w - tw) / 2, h * 0.15
        if not any(c in main for c in ".:"):  # the unlit segments behind the digits, as on real panels
            ghost = "".join("~" if style.font == "dseg14" else "8" for _ in main)
            draw.text((x, y), ghost, font=font, fill=dim)
        draw.text((x, y), main, font=font, fill=style.fg)
    labels = [ln.text for ln in content.lines if ln.role != "code"][:2]
    small = _font(_face(style, " ".join(labels) or "A", content.lang), int(h * 0.075))
    for i, text in enumerate(labels):
        tw = draw.textlength(text, font=small)
        draw.text(((w - tw) / 2, h * (0.74 + 0.11 * i)), text, font=small, fill=style.fg)
    return pil


def _segment_token(content: ScreenContent) -> str:
    """What a segment panel without an error shows: a clock or a number from the first number line."""
    for ln in content.lines:
        for token in ln.text.split():
            core = token.strip("°CF%rpm€$,")
            if core and set(core) <= set("0123456789:") and len(core) <= 5:
                return core
    return "--"
