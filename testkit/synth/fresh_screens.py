"""Screens and plans of the fresh evaluation split (not to be read by anyone tuning the reader; see
testkit/synth/fresh_formats.py): alarm-list HMIs, photographed labels, dashboard clusters, small device LCDs,
modem event-log pages, segment panels, consoles and touch-screen cards, in faces the other sets do not use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image, ImageDraw

from testkit.synth.family_screens import NEGATIVE, PlannedScreen, film_plan, film_rendered, font_loader
from testkit.synth.fresh_formats import (
    KINDS,
    FreshFormat,
    fresh_error_content,
    fresh_formats_of,
    fresh_negative_content,
    pick_fresh_lang,
)
from testkit.synth.open_text import ScreenContent, ScreenLine
from testkit.synth.sevenseg import GLYPHS, draw_seven_segment

FRESH = "fresh"  # the split name written into labels and the manifest

_TT, _OT = "/usr/share/fonts/truetype/", "/usr/share/fonts/opentype/"
FRESH_FONT_FILES: dict[str, tuple[str, int]] = {
    "urw-gothic": (_OT + "urw-base35/URWGothic-Book.otf", 0),
    "urw-bookman": (_OT + "urw-base35/URWBookman-Light.otf", 0),
    "nimbus-narrow": (_OT + "urw-base35/NimbusSansNarrow-Bold.otf", 0),
    "nimbus-roman": (_OT + "urw-base35/NimbusRoman-Regular.otf", 0),
    "p052": (_OT + "urw-base35/P052-Roman.otf", 0),
    "nimbus-mono-regular": (_OT + "urw-base35/NimbusMonoPS-Regular.otf", 0),
    "noto-serif": (_TT + "noto/NotoSerif-Regular.ttf", 0),
    "noto-display": (_TT + "noto/NotoSansDisplay-Bold.ttf", 0),
    "noto-sans-mono-bold": (_TT + "noto/NotoSansMono-Bold.ttf", 0),
    "dejavu-sans-bold": (_TT + "dejavu/DejaVuSans-Bold.ttf", 0),
    "dejavu-condensed": (_TT + "dejavu/DejaVuSansCondensed.ttf", 0),
    "dejavu-mono-bold": (_TT + "dejavu/DejaVuSansMono-Bold.ttf", 0),
    "liberation-sans-bold": (_TT + "liberation2/LiberationSans-Bold.ttf", 0),
    "liberation-mono-bold": (_TT + "liberation2/LiberationMono-Bold.ttf", 0),
    "free-serif": (_TT + "freefont/FreeSerif.ttf", 0),
    "free-sans-bold": (_TT + "freefont/FreeSansBold.ttf", 0),
    "free-mono-regular": (_TT + "freefont/FreeMono.ttf", 0),
    "lato-bold": (_TT + "lato/Lato-Bold.ttf", 0),
    "dseg7-modern": (_TT + "dseg/DSEG7Modern-Bold.ttf", 0),
    "dseg7-modern-italic": (_TT + "dseg/DSEG7Modern-BoldItalic.ttf", 0),
    "dseg7-mini": (_TT + "dseg/DSEG7ClassicMini-Bold.ttf", 0),
    "dseg14-modern": (_TT + "dseg/DSEG14Modern-Bold.ttf", 0),
    "cjk-serif-sc": (_OT + "noto/NotoSerifCJK-Regular.ttc", 2),
    "cjk-sans-kr": (_OT + "noto/NotoSansCJK-Bold.ttc", 1),
    "cjk-serif-kr": (_OT + "noto/NotoSerifCJK-Regular.ttc", 1),
    "cjk-sans-sc": (_OT + "noto/NotoSansCJK-Bold.ttc", 2),
    "arabic-sans": (_TT + "noto/NotoSansArabic-Regular.ttf", 0),
    "arabic-kufi": (_TT + "noto/NotoKufiArabic-Regular.ttf", 0),
    "arabic-naskh": (_TT + "noto/NotoNaskhArabic-Regular.ttf", 0),
}
SEGMENT_FACES = ("dseg7-modern", "dseg7-modern-italic", "dseg7-mini", "dseg14-modern", "drawn7")
_SANS = ("urw-gothic", "nimbus-narrow", "noto-display", "dejavu-sans-bold", "dejavu-condensed", "liberation-sans-bold",
         "free-sans-bold", "lato-bold")
_SERIF = ("urw-bookman", "nimbus-roman", "p052", "noto-serif", "free-serif")
_MONO = ("nimbus-mono-regular", "noto-sans-mono-bold", "dejavu-mono-bold", "liberation-mono-bold", "free-mono-regular")
LAYOUT_FACES: dict[str, tuple[str, ...]] = {
    "hmi": _SANS, "sticker": _SANS + _SERIF, "cluster": ("noto-display", "urw-gothic", "lato-bold", "dejavu-condensed"),
    "device": _MONO + ("nimbus-narrow", "dejavu-condensed"), "eventlog": _SANS + _SERIF, "segment": SEGMENT_FACES,
    "console": _MONO, "touch": _SANS + _SERIF,
}
FRESH_LAYOUTS = tuple(LAYOUT_FACES)
KIND_LAYOUTS: dict[str, tuple[str, ...]] = {
    "elevator": ("segment", "hmi", "device"), "medical": ("device", "touch"), "ev": ("device", "touch", "sticker"),
    "ups": ("segment", "device"), "network": ("eventlog", "console"), "printer3d": ("touch", "device"),
    "solar": ("device", "eventlog", "segment"), "cnc": ("hmi", "console"), "fire": ("device", "hmi"),
    "vehicle": ("cluster", "console"), "forklift": ("cluster", "segment", "sticker"), "coffee": ("device", "segment"),
}
SEVEN_SEGMENT_CHARS = frozenset("0123456789ABCDEFHLOPUbdinrt-.: ")
FOURTEEN_SEGMENT_CHARS = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-.: ")

Colour = tuple[int, int, int]  # RGB (PIL)
_PALETTES: dict[str, tuple[tuple[Colour, Colour], ...]] = {
    "hmi": (((20, 20, 20), (236, 236, 230)), ((235, 235, 235), (38, 44, 56))),
    "sticker": (((15, 15, 15), (250, 250, 245)), ((20, 20, 20), (250, 222, 60)), ((10, 10, 10), (235, 240, 250))),
    "cluster": (((235, 235, 240), (12, 14, 20)), ((255, 200, 120), (20, 14, 10))),
    "device": (((20, 30, 20), (160, 200, 140)), ((250, 250, 250), (25, 30, 60)), ((255, 190, 60), (20, 16, 10)),
               ((15, 15, 15), (205, 215, 215))),
    "eventlog": (((30, 30, 30), (255, 255, 255)), ((25, 35, 50), (240, 244, 248))),
    "segment": (((255, 60, 30), (18, 8, 8)), ((120, 255, 200), (8, 20, 16)), ((20, 20, 20), (190, 205, 170)),
                ((255, 255, 255), (20, 40, 110))),
    "console": (((255, 176, 0), (10, 8, 0)), ((190, 230, 255), (0, 18, 40)), ((230, 230, 230), (30, 30, 30))),
    "touch": (((30, 30, 30), (250, 250, 252)), ((240, 240, 240), (45, 48, 52))),
}


@dataclass(frozen=True, slots=True)
class FreshStyle:
    """How a fresh screen looks."""

    layout: str  # one of FRESH_LAYOUTS
    font: str  # key of FRESH_FONT_FILES, or "drawn7"
    fg: Colour
    bg: Colour
    accent: Colour
    scale: float
    tilt: float  # degrees a photographed label is turned


@dataclass(frozen=True, slots=True)
class FreshClipSpec:
    """One clip of the fresh split: what the screen shows, how it looks, how it is filmed and encoded."""

    index: int
    family: str
    format: str
    content: ScreenContent
    style: FreshStyle
    screen_size: tuple[int, int]
    size: tuple[int, int]
    codec: str
    kbps: int
    seed: int
    screen_seed: int


def drawable_on_segments(text: str) -> bool:
    """Whether a fourteen-segment panel can show the text."""
    return set(text.upper()) <= FOURTEEN_SEGMENT_CHARS


def layouts_for_format(fmt: FreshFormat) -> tuple[str, ...]:
    """The layouts a code of this format appears on."""
    options = KIND_LAYOUTS[fmt.kind]
    if not fmt.segment:
        options = tuple(o for o in options if o != "segment")
    return options or ("device",)


def random_fresh_style(rng: np.random.Generator, layout: str, code: str) -> FreshStyle:
    """Face and colours for a layout (segment faces only for what their segments draw)."""
    faces = LAYOUT_FACES[layout]
    if layout == "segment":
        if not set(code) <= SEVEN_SEGMENT_CHARS:
            faces = ("dseg14-modern",)
        elif not set(code.upper()) <= set(GLYPHS) | set(".:"):
            faces = tuple(f for f in faces if f != "drawn7")
    font = faces[int(rng.integers(len(faces)))]
    palettes = _PALETTES[layout]
    fg, bg = palettes[int(rng.integers(len(palettes)))]
    accent = ((200, 30, 30), (230, 130, 0), (0, 100, 180), (150, 20, 90))[int(rng.integers(4))]
    tilt = float(rng.uniform(-6, 6)) if layout == "sticker" else 0.0
    return FreshStyle(layout, font, fg, bg, accent, float(rng.uniform(0.85, 1.15)), tilt)


def fresh_screen_size(layout: str, rng: np.random.Generator) -> tuple[int, int]:
    """Native pixel size of a fresh screen of this layout."""
    if layout in ("segment", "device"):
        return int(rng.integers(420, 620)), int(rng.integers(230, 330))
    if layout == "sticker":
        return int(rng.integers(620, 820)), int(rng.integers(420, 560))
    if layout == "cluster":
        return int(rng.integers(900, 1100)), int(rng.integers(380, 460))
    return int(rng.integers(880, 1100)), int(rng.integers(540, 700))


_font = font_loader(FRESH_FONT_FILES, 256)


def _face(style: FreshStyle, text: str) -> str:
    """A face that has the text's script: Arabic, Hangul and Han need their own; segment faces draw codes only."""
    if _rtl(text):
        return ("arabic-sans", "arabic-kufi", "arabic-naskh")[len(style.font) % 3]
    if any("\uac00" <= c <= "\ud7a3" for c in text):
        return "cjk-sans-kr" if style.font in _SANS or style.font in _MONO else "cjk-serif-kr"
    if any(ord(c) > 0x2E80 for c in text):
        return "cjk-serif-sc" if style.font in _SERIF else "cjk-sans-sc"
    if style.font in SEGMENT_FACES:
        return "liberation-sans-bold"
    return style.font


def _rtl(text: str) -> bool:
    return any("\u0600" <= c <= "\u06ff" for c in text)


_ARABIC_RUN = re.compile(r"([\u0600-\u06ff][\u0600-\u06ff :،.]*[\u0600-\u06ff:]|[\u0600-\u06ff])")


def _runs(text: str) -> list[str]:
    """The line in visual order, cut into runs of one script: a right-to-left line shows its last run first
    (an Arabic caption before a code reads "code caption" from the left); Arabic faces have no Latin letters."""
    parts = [p for p in _ARABIC_RUN.split(text) if p.strip()]
    return [p.strip() for p in reversed(parts)] if _rtl(text) else [text]


def _draw_line(draw: ImageDraw.ImageDraw, style: FreshStyle, text: str, px: int, box: tuple[float, float, float],
               fill: Colour, centred: bool = False) -> None:
    """Draw one line into (left, top, width), shrinking it to fit; Arabic lines run from the right."""
    runs = _runs(text)
    gap = px * 0.35
    width = sum(draw.textlength(r, font=_font(_face(style, r), px)) for r in runs) + gap * (len(runs) - 1)
    if width > box[2]:
        px = max(8, int(px * box[2] / width))
        width = sum(draw.textlength(r, font=_font(_face(style, r), px)) for r in runs) + gap * (len(runs) - 1)
    x = box[0] + (box[2] - width) / 2 if centred else box[0] + box[2] - width if _rtl(text) else box[0]
    for run in runs:
        font = _font(_face(style, run), px)
        draw.text((x, box[1]), run, font=font, fill=fill)
        x += draw.textlength(run, font=font) + gap


def render_fresh_screen(content: ScreenContent, style: FreshStyle, size: tuple[int, int],
                        rng: np.random.Generator) -> np.ndarray:
    """Render a flat fresh screen (BGR uint8, size (width, height))."""
    w, h = size
    pil = Image.new("RGB", (w, h), style.bg)
    draw = ImageDraw.Draw(pil)
    lines = list(content.lines)
    if style.layout == "segment":
        pil = _segment(pil, content, style)
    elif style.layout == "sticker":
        pil = _sticker(pil, lines, style, rng)
    else:
        top, left, right, bottom = _chrome(draw, style, w, h, rng)
        if style.layout in ("hmi", "eventlog", "console"):
            lines = _log_rows(lines, style.layout, rng)
        _text_block(draw, lines, style, (left, top, right, bottom), centred=style.layout in ("cluster", "touch"))
    return cv2.cvtColor(np.asarray(pil), cv2.COLOR_RGB2BGR)


def _chrome(draw: ImageDraw.ImageDraw, style: FreshStyle, w: int, h: int, rng: np.random.Generator
            ) -> tuple[int, int, int, int]:
    """The layout's frame; returns (top, left, right, bottom) of the text area."""
    label = _font("dejavu-condensed", int(h * 0.04))
    if style.layout == "hmi":
        bar = int(h * 0.09)
        draw.rectangle([0, 0, w, bar], fill=style.accent)
        draw.text((w * 0.02, bar * 0.2), "ALARM LIST", font=_font(style.font, int(bar * 0.55)), fill=(255, 255, 255))
        for i, key in enumerate(("F1 ACK", "F2 RESET", "F3 HIST", "F4 MENU")):  # soft keys along the bottom
            x0 = w * (0.02 + 0.245 * i)
            draw.rectangle([x0, h * 0.9, x0 + w * 0.22, h * 0.98], outline=style.fg, width=2)
            draw.text((x0 + w * 0.02, h * 0.915), key, font=label, fill=style.fg)
        return bar + int(h * 0.05), int(w * 0.03), int(w * 0.97), int(h * 0.87)
    if style.layout == "eventlog":
        bar = int(h * 0.08)
        draw.rectangle([0, 0, w, bar], fill=(60, 64, 72))
        draw.text((w * 0.02, bar * 0.25), "Status  |  Connection  |  Event Log  |  Security", font=label,
                  fill=(240, 240, 240))
        draw.text((w * 0.03, bar + h * 0.03), "Event Log", font=_font(style.font, int(h * 0.06)), fill=style.accent)
        y = bar + int(h * 0.13)
        draw.line([w * 0.03, y - 6, w * 0.97, y - 6], fill=(150, 150, 150), width=2)
        return y, int(w * 0.03), int(w * 0.97), int(h * 0.96)
    if style.layout == "cluster":
        for cx in (0.13, 0.87):  # two gauges with their scale numbers
            r = h * 0.34
            box = [w * cx - r, h * 0.5 - r, w * cx + r, h * 0.5 + r]
            draw.arc(box, 135, 405, fill=style.fg, width=max(2, int(h * 0.015)))
            for k, v in enumerate(range(0, 161, 40) if cx < 0.5 else range(0, 101, 25)):
                a = np.deg2rad(135 + 270 * k / 4)
                draw.text((w * cx + 0.75 * r * np.cos(a) - 10, h * 0.5 + 0.75 * r * np.sin(a) - 10), str(v),
                          font=label, fill=style.fg)
        tri = [(w * 0.5, h * 0.06), (w * 0.46, h * 0.16), (w * 0.54, h * 0.16)]
        draw.polygon(tri, fill=(250, 190, 0))
        return int(h * 0.2), int(w * 0.27), int(w * 0.73), int(h * 0.95)
    if style.layout == "device":
        bar = int(h * 0.14)
        draw.rectangle([0, 0, w, bar], fill=style.accent)
        draw.text((w * 0.03, bar * 0.18), "!", font=_font("dejavu-sans-bold", int(bar * 0.7)), fill=(255, 255, 255))
        draw.rectangle([w * 0.86, bar * 0.3, w * 0.95, bar * 0.7], outline=(255, 255, 255), width=2)  # battery
        draw.rectangle([w * 0.87, bar * 0.35, w * (0.87 + 0.07 * rng.uniform(0.2, 1)), bar * 0.65], fill=(255, 255, 255))
        return bar + int(h * 0.05), int(w * 0.05), int(w * 0.95), int(h * 0.96)
    if style.layout == "touch":
        draw.rounded_rectangle([w * 0.08, h * 0.08, w * 0.92, h * 0.92], radius=int(h * 0.05),
                               fill=tuple(min(255, c + 8) for c in style.bg), outline=style.accent, width=3)
        r = h * 0.06
        draw.ellipse([w * 0.5 - r, h * 0.12, w * 0.5 + r, h * 0.12 + 2 * r], fill=style.accent)
        draw.rounded_rectangle([w * 0.4, h * 0.8, w * 0.6, h * 0.88], radius=int(h * 0.02), fill=style.accent)
        draw.text((w * 0.48, h * 0.815), "OK", font=label, fill=(255, 255, 255))
        return int(h * 0.28), int(w * 0.12), int(w * 0.88), int(h * 0.77)
    return int(h * 0.06), int(w * 0.03), int(w * 0.97), int(h * 0.96)  # console


def _log_rows(lines: list[ScreenLine], layout: str, rng: np.random.Generator) -> list[ScreenLine]:
    """Alarm lists, event logs and consoles put a date or time before each entry."""
    out = []
    if layout == "console":
        out.append(ScreenLine(f"> diag --last {int(rng.integers(5, 50))}", "text"))
    for ln in lines:
        if ln.role == "title":
            out.append(ln)
            continue
        stamp = (f"{int(rng.integers(0, 24)):02d}:{int(rng.integers(0, 60)):02d}:{int(rng.integers(0, 60)):02d}"
                 if layout != "eventlog" else
                 f"{int(rng.integers(1, 29)):02d}/{int(rng.integers(1, 13)):02d} {int(rng.integers(0, 24)):02d}:"
                 f"{int(rng.integers(0, 60)):02d}")
        out.append(ScreenLine(f"{stamp}  {ln.text}", ln.role))
    return out


def _text_block(draw: ImageDraw.ImageDraw, lines: list[ScreenLine], style: FreshStyle, box: tuple[int, int, int, int],
                centred: bool) -> None:
    left, top, right, bottom = box
    code_big = 1.0 if style.layout in ("console", "eventlog", "hmi") else 1.4
    units = sum(code_big if ln.role == "code" else 1.0 for ln in lines) * 1.55
    widest = (right - left) / (9 if style.layout == "cluster" else 16)  # a cluster's centre display is filmed close
    base = int(min((bottom - top) / max(units, 1.0), widest) * style.scale)
    y = float(top)
    for ln in lines:
        px = int(base * (code_big if ln.role == "code" else 0.85 if ln.role == "number" else 1.0))
        if style.layout == "hmi" and ln.role == "code":  # the active alarm's row is highlighted
            draw.rectangle([left - 4, y - 3, right, y + px * 1.3], fill=(210, 40, 40))
            _draw_line(draw, style, ln.text, px, (left, y, right - left), (255, 255, 255))
        else:
            _draw_line(draw, style, ln.text, px, (left, y, right - left), style.fg, centred)
        y += px * 1.55


def _sticker(pil: Image.Image, lines: list[ScreenLine], style: FreshStyle, rng: np.random.Generator) -> Image.Image:
    """A printed fault label on a device's casing, photographed: a turned card with a border and a barcode."""
    w, h = pil.size
    casing = (np.asarray(pil, np.float32) * 0 + np.array([120, 124, 128], np.float32))
    casing += rng.normal(0, 6, casing.shape[:2])[..., None]
    base = Image.fromarray(np.clip(casing, 0, 255).astype(np.uint8))
    lw, lh = int(w * 0.8), int(h * 0.78)
    label = Image.new("RGB", (lw, lh), style.bg)
    d = ImageDraw.Draw(label)
    d.rectangle([4, 4, lw - 5, lh - 5], outline=style.fg, width=3)
    d.rectangle([4, 4, lw - 5, int(lh * 0.16)], fill=style.fg)
    d.text((lw * 0.04, lh * 0.03), "SERVICE", font=_font("dejavu-sans-bold", int(lh * 0.09)), fill=style.bg)
    for i in range(40):  # a barcode of the label's own serial, an ordinary pattern
        if rng.random() < 0.55:
            x = int(lw * 0.55 + i * lw * 0.01)
            d.rectangle([x, int(lh * 0.83), x + max(1, int(lw * 0.006)), int(lh * 0.94)], fill=style.fg)
    _text_block(d, lines, style, (int(lw * 0.05), int(lh * 0.21), int(lw * 0.95), int(lh * 0.8)), centred=False)
    turned = label.rotate(style.tilt, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=(0, 0, 0))
    mask = Image.new("L", (lw, lh), 255).rotate(style.tilt, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=0)
    base.paste(turned, ((w - turned.width) // 2, (h - turned.height) // 2), mask)
    return base


def _segment(pil: Image.Image, content: ScreenContent, style: FreshStyle) -> Image.Image:
    """A segment panel: the code (or a reading) big, printed legends and an icon box beside it."""
    w, h = pil.size
    main = content.code or _segment_reading(content)
    dr, dg, db = (int(0.88 * bg + 0.12 * fg) for fg, bg in zip(style.fg, style.bg, strict=True))
    dim = (dr, dg, db)
    height = int(min(h * 0.46, w * 0.62 / max(len(main), 2) / 0.8) * style.scale)
    draw = ImageDraw.Draw(pil)
    if style.font == "drawn7":
        bgr = cv2.cvtColor(np.asarray(pil), cv2.COLOR_RGB2BGR)
        est = int(len(main) * height * 0.75)
        draw_seven_segment(bgr, main, ((w - est) // 2 + int(w * 0.08), int(h * 0.2)), height, style.fg[::-1],
                           dim[::-1], slant=0.0)
        pil = Image.fromarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
        draw = ImageDraw.Draw(pil)
    else:
        font = _font(style.font, height)
        x, y = (w - draw.textlength(main, font=font)) / 2 + w * 0.08, h * 0.18
        if not any(c in main for c in ".:-"):
            draw.text((x, y), "".join("~" if "14" in style.font else "8" for _ in main), font=font, fill=dim)
        draw.text((x, y), main, font=font, fill=style.fg)
    # Icon legends at the left, lit or dim, as UPS and appliance panels print them.
    legend = _font("liberation-sans-bold", int(h * 0.07))
    for i, word in enumerate(("LINE", "BATT", "FAULT") if content.kind == "ups" else ("AUTO", "SERVICE", "ALARM")):
        lit = bool(content.code) and i == 2
        draw.rectangle([w * 0.03, h * (0.18 + 0.16 * i), w * 0.2, h * (0.3 + 0.16 * i)], outline=style.fg if lit else dim,
                       width=2)
        draw.text((w * 0.045, h * (0.195 + 0.16 * i)), word, font=legend, fill=style.fg if lit else dim)
    labels = [ln.text for ln in content.lines if ln.role != "code"][:2]
    for i, text in enumerate(labels):
        _draw_line(draw, style, text, int(h * 0.075), (w * 0.05, h * (0.74 + 0.11 * i), w * 0.9), style.fg, True)
    code_line = next((ln.text for ln in content.lines if ln.role == "code"), "")
    caption = code_line.replace(content.code, "").strip() if content.code else ""
    if caption:  # the caption printed on the panel beside the digits
        _draw_line(draw, style, caption, int(h * 0.07), (w * 0.25, h * 0.06, w * 0.7), style.fg, True)
    return pil


def _segment_reading(content: ScreenContent) -> str:
    """What a panel without an error shows: the first short number of its lines."""
    for ln in content.lines:
        for token in ln.text.split():
            core = token.strip("°C%,")
            if core and set(core) <= set("0123456789.:") and len(core) <= 5:
                return core
    return "--"


def plan_fresh(families: list[str], seed: int, per_format: int, negatives: int,
               sizes: tuple[tuple[int, int], ...]) -> list[FreshClipSpec]:
    """Every clip of a fresh set (deterministic per seed): per_format screens of each format, then negatives of
    the same kinds of device; each screen filmed once at every size, VP8 as browsers send it."""
    rng = np.random.default_rng(seed)
    screens: list[tuple[str, str, ScreenContent, str]] = []
    formats = fresh_formats_of(families)
    for fmt in formats:
        for _ in range(per_format):
            lang = pick_fresh_lang(rng)
            content = fresh_error_content(fmt, rng, lang, int(rng.choice([0, 1, 2], p=[0.3, 0.45, 0.25])))
            options = layouts_for_format(fmt)
            screens.append((fmt.family, fmt.name, content, options[int(rng.integers(len(options)))]))
    kinds = sorted({f.kind for f in formats}) or list(KINDS)
    for i in range(negatives):
        kind = kinds[i % len(kinds)]
        content = fresh_negative_content(rng, pick_fresh_lang(rng), kind)
        options = KIND_LAYOUTS[kind]
        screens.append((NEGATIVE, NEGATIVE, content, options[int(rng.integers(len(options)))]))
    planned = [PlannedScreen(family, name, content, "", layout) for family, name, content, layout in screens]
    return film_plan(planned, sizes, rng, random_fresh_style, fresh_screen_size,
                     lambda f: FreshClipSpec(f.index, f.screen.family, f.screen.format, f.screen.content, f.style,
                                             f.screen_size, f.size, "vp8", f.kbps, f.seed, f.screen_seed))


def render_fresh_clip(spec: FreshClipSpec, fps: int, lead_in_s: float, screen_s: float) -> list[np.ndarray]:
    """BGR frames of the clip: the rendered screen filmed by a hand-held phone."""
    screen = render_fresh_screen(spec.content, spec.style, spec.screen_size, np.random.default_rng(spec.screen_seed))
    return film_rendered(screen, spec.size, fps, lead_in_s, screen_s, spec.seed)
