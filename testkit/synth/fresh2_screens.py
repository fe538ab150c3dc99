"""Screens and plans of the second fresh split, fresh2 (not to be read by anyone tuning the reader; see
testkit/synth/fresh2_formats.py): segment LCDs, dot-matrix LCDs, TFT device UIs (light and dark), e-ink panels and web
pages on a laptop, in faces no other split uses, with the code's place on the screen recorded.

Filming (hand shake, perspective, glare, moire, motion blur, noise) is testkit/synth/clips.py's, as for every split.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np
from PIL import Image, ImageDraw

from testkit.synth.family_screens import (
    NEGATIVE,
    Box,
    Colour,
    PlannedScreen,
    film_plan,
    film_rendered,
    font_loader,
    relative_box,
)
from testkit.synth.fresh2_formats import (
    FRESH2_KINDS,
    Fresh2Format,
    fresh2_error_content,
    fresh2_formats_of,
    fresh2_negative_content,
    fresh2_ordinary_line,
    pick_fresh2_lang,
)
from testkit.synth.fresh_screens import FOURTEEN_SEGMENT_CHARS, SEVEN_SEGMENT_CHARS
from testkit.synth.open_text import ScreenContent, ScreenLine

FRESH2 = "fresh2"  # the generator's name in the manifest (labels carry split "fresh": hidden like the fresh split)

_TT, _OT = "/usr/share/fonts/truetype/", "/usr/share/fonts/opentype/"
FRESH2_FONT_FILES: dict[str, tuple[str, int]] = {
    "noto-sans-bold": (_TT + "noto/NotoSans-Bold.ttf", 0),
    "noto-serif-bold": (_TT + "noto/NotoSerif-Bold.ttf", 0),
    "noto-mono-regular": (_TT + "noto/NotoSansMono-Regular.ttf", 0),
    "dejavu-serif-condensed": (_TT + "dejavu/DejaVuSerifCondensed.ttf", 0),
    "dejavu-condensed-bold": (_TT + "dejavu/DejaVuSansCondensed-Bold.ttf", 0),
    "dejavu-mono-oblique": (_TT + "dejavu/DejaVuSansMono-Oblique.ttf", 0),
    "dejavu-extralight": (_TT + "dejavu/DejaVuSans-ExtraLight.ttf", 0),
    "nimbus-sans-bold": (_OT + "urw-base35/NimbusSans-Bold.otf", 0),
    "nimbus-roman-bold": (_OT + "urw-base35/NimbusRoman-Bold.otf", 0),
    "urw-gothic-demi": (_OT + "urw-base35/URWGothic-Demi.otf", 0),
    "c059-bold": (_OT + "urw-base35/C059-Bold.otf", 0),
    "free-serif-bold": (_TT + "freefont/FreeSerifBold.ttf", 0),
    "free-sans": (_TT + "freefont/FreeSans.ttf", 0),
    "free-mono-oblique": (_TT + "freefont/FreeMonoOblique.ttf", 0),
    "lato-light": (_TT + "lato/Lato-Light.ttf", 0),
    "lato-heavy": (_TT + "lato/Lato-Heavy.ttf", 0),
    "lato-semibold": (_TT + "lato/Lato-Semibold.ttf", 0),
    "liberation-serif-bold": (_TT + "liberation2/LiberationSerif-Bold.ttf", 0),
    "dseg7-modern-mini": (_TT + "dseg/DSEG7ModernMini-Bold.ttf", 0),
    "dseg7-classic-italic": (_TT + "dseg/DSEG7Classic-Italic.ttf", 0),
    "dseg14-modern-regular": (_TT + "dseg/DSEG14Modern-Regular.ttf", 0),
    "dseg14-classic-mini": (_TT + "dseg/DSEG14ClassicMini-Bold.ttf", 0),
    "thai-sans": (_TT + "noto/NotoSansThai-Regular.ttf", 0),
    "thai-serif": (_TT + "noto/NotoSerifThai-Bold.ttf", 0),
    "devanagari-sans": (_TT + "noto/NotoSansDevanagari-Regular.ttf", 0),
    "devanagari-serif": (_TT + "noto/NotoSerifDevanagari-Bold.ttf", 0),
}
SEGMENT7 = ("dseg7-modern-mini", "dseg7-classic-italic")
SEGMENT14 = ("dseg14-modern-regular", "dseg14-classic-mini")
_SANS = ("noto-sans-bold", "dejavu-condensed-bold", "nimbus-sans-bold", "urw-gothic-demi", "free-sans", "lato-light",
         "lato-heavy", "lato-semibold", "dejavu-extralight")
_SERIF = ("noto-serif-bold", "dejavu-serif-condensed", "nimbus-roman-bold", "c059-bold", "free-serif-bold",
          "liberation-serif-bold")
_MONO = ("noto-mono-regular", "dejavu-mono-oblique", "free-mono-oblique")
LAYOUT_FACES: dict[str, tuple[str, ...]] = {
    "segment": SEGMENT7 + SEGMENT14, "dotmatrix": _MONO, "tft": _SANS, "eink": _SERIF + _SANS[:3],
    "laptop": _SANS + _SERIF,
}
FRESH2_LAYOUTS = tuple(LAYOUT_FACES)
KIND_LAYOUTS: dict[str, tuple[str, ...]] = {  # laptops only where a web console is how the device is watched
    "robot": ("tft", "dotmatrix"), "agri": ("tft", "dotmatrix"), "marine": ("tft", "dotmatrix"),
    "server": ("laptop", "dotmatrix"), "console": ("tft",), "camera": ("tft", "segment"),
    "ebike": ("segment", "tft", "eink"), "atm": ("dotmatrix", "tft"), "security": ("dotmatrix", "eink", "tft"),
    "telecom": ("laptop", "tft"), "plc": ("dotmatrix", "laptop", "eink", "segment"), "drone": ("tft", "laptop"),
}

_THEMES: dict[str, tuple[tuple[Colour, Colour], ...]] = {  # (text, background): light and dark themes
    "segment": (((30, 30, 30), (178, 196, 170)), ((255, 120, 40), (16, 10, 6)), ((160, 230, 255), (6, 16, 30))),
    "dotmatrix": (((20, 40, 10), (150, 196, 40)), ((235, 245, 255), (30, 70, 200)), ((255, 180, 40), (25, 15, 0)),
                  ((20, 20, 20), (200, 205, 195))),
    "tft": (((25, 25, 30), (246, 246, 248)), ((236, 236, 240), (22, 24, 30)), ((230, 240, 230), (12, 40, 30))),
    "eink": (((38, 38, 36), (212, 210, 200)), ((50, 50, 48), (190, 190, 182))),
    "laptop": (((30, 30, 34), (255, 255, 255)), ((220, 222, 228), (33, 35, 42))),
}
_ACCENTS: tuple[Colour, ...] = ((205, 35, 35), (230, 120, 0), (0, 110, 200), (120, 40, 150))


@dataclass(frozen=True, slots=True)
class Fresh2Style:
    """How a fresh2 screen looks."""

    layout: str  # one of FRESH2_LAYOUTS
    font: str  # key of FRESH2_FONT_FILES
    fg: Colour
    bg: Colour
    accent: Colour
    scale: float
    dark: bool  # a dark theme (light text on dark ground)


@dataclass(frozen=True, slots=True)
class Fresh2ClipSpec:
    """One clip of the fresh2 split: what the screen shows, how it looks, how it is filmed and encoded."""

    index: int
    family: str
    format: str
    content: ScreenContent
    shown: str  # how the code line writes the code ("" on negatives)
    style: Fresh2Style
    screen_size: tuple[int, int]
    size: tuple[int, int]
    codec: str
    kbps: int
    seed: int
    screen_seed: int


def layouts_for_format(fmt: Fresh2Format) -> tuple[str, ...]:
    """The layouts a code of this format appears on."""
    options = KIND_LAYOUTS[fmt.kind]
    return options if fmt.segment else tuple(o for o in options if o != "segment")


def random_fresh2_style(rng: np.random.Generator, layout: str, code: str) -> Fresh2Style:
    """Face, theme and accent for a layout (segment faces only for what their segments draw)."""
    faces = LAYOUT_FACES[layout]
    if layout == "segment" and not set(code) <= SEVEN_SEGMENT_CHARS:
        faces = SEGMENT14
    font = faces[int(rng.integers(len(faces)))]
    themes = _THEMES[layout]
    k = int(rng.integers(len(themes)))
    fg, bg = themes[k]
    dark = sum(bg) < sum(fg)
    accent = _ACCENTS[int(rng.integers(len(_ACCENTS)))]
    return Fresh2Style(layout, font, fg, bg, accent, float(rng.uniform(0.85, 1.15)), dark)


def fresh2_screen_size(layout: str, rng: np.random.Generator) -> tuple[int, int]:
    """Native pixel size of a screen of this layout (the laptop includes its lid and a strip of keyboard)."""
    if layout == "segment":
        return int(rng.integers(440, 600)), int(rng.integers(240, 320))
    if layout == "dotmatrix":
        return int(rng.integers(560, 760)), int(rng.integers(240, 330))
    if layout == "eink":
        return int(rng.integers(520, 700)), int(rng.integers(360, 480))
    if layout == "laptop":
        return int(rng.integers(1280, 1500)), int(rng.integers(900, 1000))
    return int(rng.integers(760, 960)), int(rng.integers(440, 560))  # tft


_font = font_loader(FRESH2_FONT_FILES)


_THAI = re.compile(r"[\u0e00-\u0e7f]")
_DEVANAGARI = re.compile(r"[\u0900-\u097f]")
_CYRILLIC_GREEK = re.compile(r"[\u0370-\u03ff\u0400-\u04ff]")
_SCRIPT_RUN = re.compile(r"([\u0e00-\u0e7f][\u0e00-\u0e7f ]*[\u0e00-\u0e7f]|[\u0e00-\u0e7f]"
                         r"|[\u0900-\u097f][\u0900-\u097f ]*[\u0900-\u097f]|[\u0900-\u097f])")


@lru_cache(maxsize=64)
def _covers_cyrillic_greek(face: str) -> bool:
    """Whether the face has Cyrillic and Greek letters (a missing glyph draws the same box as a private-use one)."""
    font = _font(face, 24)
    missing = bytes(font.getmask("\ue000"))
    return all(bytes(font.getmask(c)) != missing for c in "ЖяΩλ")


def _face(style_font: str, text: str) -> str:
    """A face that has the text's script: Thai and Devanagari runs need their own; segment faces draw codes only."""
    serif = style_font in _SERIF
    if _THAI.search(text):
        return "thai-serif" if serif else "thai-sans"
    if _DEVANAGARI.search(text):
        return "devanagari-serif" if serif else "devanagari-sans"
    if style_font in SEGMENT7 + SEGMENT14:
        style_font = "dejavu-condensed-bold"
    if _CYRILLIC_GREEK.search(text) and not _covers_cyrillic_greek(style_font):
        return "noto-serif-bold" if serif else "noto-sans-bold"
    return style_font


def _runs(text: str) -> list[str]:
    """The text cut into runs of one script (Thai and Devanagari faces have no Latin letters), spaces kept."""
    return [p for p in _SCRIPT_RUN.split(text) if p]


def _width(draw: ImageDraw.ImageDraw, font_name: str, text: str, px: int) -> float:
    return sum(draw.textlength(r, font=_font(_face(font_name, r), px)) for r in _runs(text))


def _draw_runs(draw: ImageDraw.ImageDraw, xy: tuple[float, float], text: str, font_name: str, px: int,
               fill: Colour) -> float:
    """Draw text left to right in script runs; returns the x where it ends."""
    x, y = xy
    for run in _runs(text):
        font = _font(_face(font_name, run), px)
        draw.text((x, y), run, font=font, fill=fill)
        x += draw.textlength(run, font=font)
    return x


def draw_line(draw: ImageDraw.ImageDraw, line: ScreenLine, shown: str, font_name: str, px: int,
              box: tuple[float, float, float], fill: Colour, centred: bool = False) -> Box | None:
    """Draw one line into (left, top, width), shrinking it to fit; returns the code's box on a code line."""
    width = _width(draw, font_name, line.text, px)
    if width > box[2]:
        px = max(7, int(px * box[2] / width))
        width = _width(draw, font_name, line.text, px)
    x = box[0] + (box[2] - width) / 2 if centred else box[0]
    if line.role != "code" or shown not in line.text:
        _draw_runs(draw, (x, box[1]), line.text, font_name, px, fill)
        return None
    before, _, after = line.text.partition(shown)
    x0 = _draw_runs(draw, (x, box[1]), before, font_name, px, fill)
    x1 = _draw_runs(draw, (x0, box[1]), shown, font_name, px, fill)
    _draw_runs(draw, (x1, box[1]), after, font_name, px, fill)
    return (x0, box[1], x1, box[1] + px * 1.2)


def _text_block(draw: ImageDraw.ImageDraw, lines: list[ScreenLine], shown: str, style: Fresh2Style,
                area: tuple[float, float, float, float], code_big: float, centred: bool = False) -> Box | None:
    """Lines top to bottom in the area, the code line larger; returns the code's box."""
    left, top, right, bottom = area
    units = sum(code_big if ln.role == "code" else 1.0 for ln in lines) * 1.5
    base = int(min((bottom - top) / max(units, 1.0), (right - left) / 14) * style.scale)
    y, found = float(top), None
    for ln in lines:
        px = int(base * (code_big if ln.role == "code" else 0.85 if ln.role == "number" else 1.0))
        colour = style.accent if ln.role == "code" and not style.dark and style.layout == "tft" else style.fg
        got = draw_line(draw, ln, shown, style.font, px, (left, y, right - left), colour, centred)
        found = found or got
        y += px * 1.5
    return found


def render_fresh2_screen(content: ScreenContent, shown: str, style: Fresh2Style, size: tuple[int, int],
                         rng: np.random.Generator) -> tuple[np.ndarray, Box | None]:
    """A flat fresh2 screen (BGR uint8 of size (width, height)) and the code's box on it (None without a code)."""
    render = {"segment": _segment, "dotmatrix": _dotmatrix, "tft": _tft, "eink": _eink, "laptop": _laptop}
    pil, box = render[style.layout](content, shown, style, size, rng)
    return cv2.cvtColor(np.asarray(pil), cv2.COLOR_RGB2BGR), box


def _tft(content: ScreenContent, shown: str, style: Fresh2Style, size: tuple[int, int], rng: np.random.Generator
         ) -> tuple[Image.Image, Box | None]:
    """A device's colour UI: status bar with clock and battery, an alert banner, the message card, two buttons."""
    w, h = size
    pil = Image.new("RGB", (w, h), style.bg)
    draw = ImageDraw.Draw(pil)
    bar = int(h * 0.08)
    shade = tuple(max(0, c - 22) if not style.dark else min(255, c + 22) for c in style.bg)
    draw.rectangle([0, 0, w, bar], fill=shade)
    small = _font("dejavu-condensed-bold", int(bar * 0.55))
    draw.text((w * 0.02, bar * 0.2), f"{int(rng.integers(0, 24)):02d}:{int(rng.integers(0, 60)):02d}", font=small,
              fill=style.fg)
    draw.rectangle([w * 0.9, bar * 0.25, w * 0.97, bar * 0.75], outline=style.fg, width=2)
    draw.rectangle([w * 0.905, bar * 0.32, w * (0.905 + 0.06 * rng.uniform(0.2, 1)), bar * 0.68], fill=style.fg)
    banner = int(h * 0.12)
    draw.rectangle([0, bar, w, bar + banner], fill=style.accent)
    tri = [(w * 0.04, bar + banner * 0.8), (w * 0.07, bar + banner * 0.2), (w * 0.1, bar + banner * 0.8)]
    draw.polygon(tri, fill=(255, 255, 255))
    for i in range(3):  # the app's own icons along the banner: no text, only shapes
        cx = w * (0.8 + 0.06 * i)
        draw.ellipse([cx - banner * 0.2, bar + banner * 0.3, cx + banner * 0.2, bar + banner * 0.7], outline=(255, 255, 255),
                     width=2)
    card = (w * 0.05, bar + banner + h * 0.04, w * 0.95, h * 0.8)
    draw.rounded_rectangle(card, radius=int(h * 0.03), outline=shade, width=3)
    box = _text_block(draw, list(content.lines), shown, style, (card[0] + w * 0.03, card[1] + h * 0.03, card[2] - w * 0.03,
                                                                card[3] - h * 0.02), 1.35)
    for i, label in enumerate(("OK", "i")):
        x0 = w * (0.3 + 0.25 * i)
        draw.rounded_rectangle([x0, h * 0.85, x0 + w * 0.18, h * 0.95], radius=int(h * 0.02), fill=shade)
        draw.text((x0 + w * 0.08, h * 0.87), label, font=small, fill=style.fg)
    return pil, box


def _eink(content: ScreenContent, shown: str, style: Fresh2Style, size: tuple[int, int], rng: np.random.Generator
          ) -> tuple[Image.Image, Box | None]:
    """An e-paper panel: grey on grey, a faint ghost of the previous page, paper grain, soft edges."""
    w, h = size
    ghost = Image.new("RGB", (w, h), style.bg)
    gdraw = ImageDraw.Draw(ghost)
    faint = tuple(int(0.9 * b + 0.1 * f) for f, b in zip(style.fg, style.bg, strict=True))
    for i in range(4):  # what the page showed before a partial refresh
        gdraw.text((w * 0.08 + i * 7, h * (0.2 + 0.17 * i)), fresh2_ordinary_line(content.kind, rng),
                   font=_font(_face(style.font, "A"), int(h * 0.08)), fill=faint)
    draw = ImageDraw.Draw(ghost)
    draw.rectangle([0, 0, w, int(h * 0.1)], fill=tuple(max(0, c - 30) for c in style.bg))
    box = _text_block(draw, list(content.lines), shown, style, (w * 0.06, h * 0.15, w * 0.94, h * 0.95), 1.3)
    grain = np.asarray(ghost).astype(np.float32) + rng.normal(0, 4, (h, w, 1)).astype(np.float32)
    soft = cv2.GaussianBlur(grain, (0, 0), 0.7)
    return Image.fromarray(np.clip(soft, 0, 255).astype(np.uint8)), box


def _dotmatrix(content: ScreenContent, shown: str, style: Fresh2Style, size: tuple[int, int],
               rng: np.random.Generator) -> tuple[Image.Image, Box | None]:
    """A graphic dot-matrix LCD: text drawn without smoothing on a coarse pixel grid, each pixel a visible dot."""
    w, h = size
    lines = list(content.lines)
    probe = ImageDraw.Draw(Image.new("L", (8, 8)))

    def fitted(cell: int, shown_lines: list[ScreenLine]) -> int:
        """The largest font size whose lines fit a grid of this cell size, up to 20 dots."""
        cols, rows = w // cell, h // cell
        widest = max(_width(probe, style.font, ln.text, 8) for ln in shown_lines)
        return min(int(rows / (len(shown_lines) * 1.35 + 0.5)), int(8 * (cols - 6) / widest), 20)

    cell = int(rng.integers(3, 5))
    while cell > 2 and fitted(cell, lines) < 10:  # a finer grid rather than glyphs too small to form letters
        cell -= 1
    while fitted(cell, lines) < 9 and any(ln.role == "number" for ln in lines):  # a panel shows fewer lines
        lines.remove(next(ln for ln in reversed(lines) if ln.role == "number"))
    px = max(7, fitted(cell, lines))
    cols, rows = w // cell, h // cell
    low = Image.new("L", (cols, rows), 0)
    draw = ImageDraw.Draw(low)
    draw.fontmode = "1"  # no anti-aliasing: a pixel is lit or not
    y, box = 1.0, None
    for ln in lines:
        size_px = px + (1 if ln.role == "code" else 0)
        got = draw_line(draw, ln, shown, style.font, size_px, (2, y, cols - 4), 255)  # type: ignore[arg-type]
        box = box or got
        y += size_px * 1.3
    lit = np.asarray(low) > 100
    fg, bg = np.array(style.fg, np.float32), np.array(style.bg, np.float32)
    unlit = 0.9 * bg + 0.1 * fg
    grid = np.where(lit[..., None], fg, unlit)
    big = np.repeat(np.repeat(grid, cell, axis=0), cell, axis=1)
    dot = np.ones((cell, cell), np.float32)
    dot[-1, :] = dot[:, -1] = 0.0  # the gap between dots shows the backlight
    mask = np.tile(dot, (rows, cols))[..., None]
    img = big * mask + bg * 0.75 * (1 - mask)
    canvas = np.full((h, w, 3), bg * 0.75, np.float32)
    canvas[: img.shape[0], : img.shape[1]] = img
    scaled = None if box is None else (box[0] * cell, box[1] * cell, box[2] * cell, box[3] * cell)
    return Image.fromarray(np.clip(canvas, 0, 255).astype(np.uint8)), scaled


def _segment(content: ScreenContent, shown: str, style: Fresh2Style, size: tuple[int, int], rng: np.random.Generator
             ) -> tuple[Image.Image, Box | None]:
    """A segment LCD: the code (or a reading) in segments with unlit ghosts, printed icon legends and captions."""
    w, h = size
    pil = Image.new("RGB", (w, h), style.bg)
    draw = ImageDraw.Draw(pil)
    main = content.code or _reading(content)
    dim = tuple(int(0.86 * b + 0.14 * f) for f, b in zip(style.fg, style.bg, strict=True))
    height = int(min(h * 0.42, w * 0.6 / max(len(main), 2) / 0.8) * style.scale)
    font = _font(style.font, height)
    tw = draw.textlength(main, font=font)
    x, y = (w - tw) / 2 + w * 0.06, h * 0.22
    ghost = "".join(" " if c == " " else ("~" if style.font in SEGMENT14 else "8") for c in main)
    if set(main) <= set(SEVEN_SEGMENT_CHARS) | set(FOURTEEN_SEGMENT_CHARS) and not any(c in main for c in ".:"):
        draw.text((x, y), ghost, font=font, fill=dim)
    draw.text((x, y), main, font=font, fill=style.fg)
    box = (x, y, x + tw, y + height * 1.05) if content.code else None
    legend = _font("dejavu-condensed-bold", int(h * 0.065))
    words = ("ASSIST", "LIGHT", "ERROR") if content.kind == "ebike" else ("AF", "WB", "ERR")
    for i, word in enumerate(words):
        lit = bool(content.code) and i == 2
        draw.text((w * 0.03, h * (0.2 + 0.17 * i)), word, font=legend, fill=style.fg if lit else dim)
    others = [ln for ln in content.lines if ln.role != "code"][:2]
    for i, ln in enumerate(others):
        draw_line(draw, ln, shown, "dejavu-condensed-bold", int(h * 0.07), (w * 0.05, h * (0.76 + 0.1 * i), w * 0.9),
                  style.fg, True)
    code_line = next((ln.text for ln in content.lines if ln.role == "code"), "")
    caption = code_line.replace(shown, "").strip(" :") if content.code else ""
    if caption:  # printed on the panel above the digits
        draw_line(draw, ScreenLine(caption, "title"), shown, "dejavu-condensed-bold", int(h * 0.07),
                  (w * 0.25, h * 0.06, w * 0.7), style.fg, True)
    return pil, box


def _reading(content: ScreenContent) -> str:
    """What a panel without an error shows: the first short number of its lines."""
    for ln in content.lines:
        for token in ln.text.split():
            core = token.strip("%,°C")
            if core and set(core) <= set("0123456789.") and len(core) <= 5:
                return core
    return "--"


def _laptop(content: ScreenContent, shown: str, style: Fresh2Style, size: tuple[int, int], rng: np.random.Generator
            ) -> tuple[Image.Image, Box | None]:
    """A management web page in a browser on a laptop: the code is one small row of a busy event table."""
    w, h = size
    lid_h = int(h * 0.88)
    bezel = int(w * 0.025)
    pil = Image.new("RGB", (w, h), (40, 40, 44))
    draw = ImageDraw.Draw(pil)
    draw.rectangle([0, lid_h, w, h], fill=(150, 152, 158))  # the keyboard deck below the lid
    for k in range(14):
        draw.rectangle([w * (0.08 + k * 0.061), lid_h + h * 0.03, w * (0.13 + k * 0.061), h], fill=(60, 60, 64))
    sx0, sy0, sx1, sy1 = bezel, bezel, w - bezel, lid_h - bezel
    draw.rectangle([sx0, sy0, sx1, sy1], fill=style.bg)
    sw, sh = sx1 - sx0, sy1 - sy0
    chrome = int(sh * 0.07)
    draw.rectangle([sx0, sy0, sx1, sy0 + chrome], fill=(222, 224, 228) if not style.dark else (55, 57, 64))
    small = _font("dejavu-condensed-bold", int(chrome * 0.38))
    url = f"https://10.{int(rng.integers(0, 255))}.{int(rng.integers(0, 255))}.{int(rng.integers(2, 250))}/events"
    draw.rounded_rectangle([sx0 + sw * 0.12, sy0 + chrome * 0.2, sx0 + sw * 0.75, sy0 + chrome * 0.8],
                           radius=chrome // 3, fill=style.bg)
    draw.text((sx0 + sw * 0.14, sy0 + chrome * 0.3), url, font=small, fill=style.fg)
    nav = int(sw * 0.16)
    side = tuple(max(0, c - 16) if not style.dark else min(255, c + 14) for c in style.bg)
    draw.rectangle([sx0, sy0 + chrome, sx0 + nav, sy1], fill=side)
    for i, item in enumerate(("Dashboard", "Alarms", "Events", "Hardware", "Network", "Settings", "Logs")):
        draw.text((sx0 + 12, sy0 + chrome + sh * (0.04 + 0.05 * i)), item, font=small, fill=style.accent)
    left, top = sx0 + nav + sw * 0.02, sy0 + chrome + sh * 0.03
    title = _font(_face(style.font, "A"), int(sh * 0.04))
    draw.text((left, top), "Event log", font=title, fill=style.fg)
    top += sh * 0.07
    px = int(sh * 0.036 * style.scale)  # small beside the page, as a browser's default table text is
    fits = max(1, int((sy1 - px * 2 - top) / (px * 1.7)) + 1)  # rows the page shows
    if len(content.lines) > fits:  # the screen's own lines always show: a smaller table text
        px = int(px * fits / len(content.lines))
        fits = len(content.lines)
    fillers = min(int(rng.integers(6, 11)), fits - len(content.lines))
    rows = list(content.lines) + [ScreenLine(fresh2_ordinary_line(content.kind, rng), "number") for _ in range(fillers)]
    order = [int(i) for i in rng.permutation(len(rows))]
    box = None
    for n, i in enumerate(order):
        y = top + n * px * 1.7
        ln = rows[i]
        if n % 2:
            draw.rectangle([left - 4, y - 3, sx1 - 8, y + px * 1.4], fill=side)
        stamp = (f"2026-{int(rng.integers(1, 13)):02d}-{int(rng.integers(1, 29)):02d} "
                 f"{int(rng.integers(0, 24)):02d}:{int(rng.integers(0, 60)):02d}")
        draw.text((left, y), stamp, font=_font(style.font if style.font in _SANS + _SERIF else "free-sans", px),
                  fill=style.fg)
        level = "Critical" if ln.role == "code" else "Info"
        draw.text((left + sw * 0.2, y), level, font=_font("dejavu-condensed-bold", px),
                  fill=style.accent if ln.role == "code" else style.fg)
        got = draw_line(draw, ln, shown, style.font, px, (left + sw * 0.3, y, sx1 - left - sw * 0.32), style.fg)
        box = box or got
    return pil, box


def plan_fresh2(families: list[str], seed: int, per_format: int, negatives: int,
                sizes: tuple[tuple[int, int], ...]) -> list[Fresh2ClipSpec]:
    """Every clip of a fresh2 set (deterministic per seed): per_format screens of each format, then negatives of the
    same kinds of device; each screen filmed once at every size, VP8 as browsers send it."""
    rng = np.random.default_rng(seed)
    screens: list[tuple[str, str, ScreenContent, str, str]] = []
    formats = fresh2_formats_of(families)
    for fmt in formats:
        for _ in range(per_format):
            distractors = int(rng.choice([1, 2, 3], p=[0.3, 0.4, 0.3]))
            content, shown = fresh2_error_content(fmt, rng, pick_fresh2_lang(rng), distractors)
            options = layouts_for_format(fmt)
            screens.append((fmt.family, fmt.name, content, shown, options[int(rng.integers(len(options)))]))
    kinds = sorted({f.kind for f in formats}) or list(FRESH2_KINDS)
    for i in range(negatives):
        kind = kinds[i % len(kinds)]
        content = fresh2_negative_content(rng, pick_fresh2_lang(rng), kind)
        options = KIND_LAYOUTS[kind]
        screens.append((NEGATIVE, NEGATIVE, content, "", options[int(rng.integers(len(options)))]))
    planned = [PlannedScreen(*screen) for screen in screens]
    return film_plan(planned, sizes, rng, random_fresh2_style, fresh2_screen_size,
                     lambda f: Fresh2ClipSpec(f.index, f.screen.family, f.screen.format, f.screen.content, f.screen.shown,
                                              f.style, f.screen_size, f.size, "vp8", f.kbps, f.seed, f.screen_seed))


def fresh2_code_box(spec: Fresh2ClipSpec) -> list[float]:
    """Where the code is on the rendered screen, as shares of its width and height ([] without a code)."""
    screen, box = render_fresh2_screen(spec.content, spec.shown, spec.style, spec.screen_size,
                                       np.random.default_rng(spec.screen_seed))
    return relative_box(box, screen.shape)


def render_fresh2_clip(spec: Fresh2ClipSpec, fps: int, lead_in_s: float, screen_s: float) -> list[np.ndarray]:
    """BGR frames of the clip: the rendered screen filmed by a hand-held phone."""
    screen, _ = render_fresh2_screen(spec.content, spec.shown, spec.style, spec.screen_size,
                                     np.random.default_rng(spec.screen_seed))
    return film_rendered(screen, spec.size, fps, lead_in_s, screen_s, spec.seed)

