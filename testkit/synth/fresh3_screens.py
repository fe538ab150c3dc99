"""Screens and plans of the third fresh split, fresh3 (not to be read by anyone tuning the reader; see
testkit/synth/fresh3_formats.py): character LCD modules, small monochrome OLEDs, vacuum fluorescent displays, LED
dot-matrix panels, a phone or tablet app held beside the device, and printed self-test slips on thermal paper, in
faces no other split uses, with the code's place on the screen recorded.

Filming (hand shake, perspective, glare, moire, motion blur, noise) is testkit/synth/clips.py's, as for every split.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import cast

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from testkit.synth.capture import random_capture_params
from testkit.synth.clips import film_screen
from testkit.synth.family_formats import FamilyFormat
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
from testkit.synth.fresh3_formats import (
    FRESH3_KINDS,
    FRESH3_LANGS,
    LATIN_LANGS,
    fresh3_error_content,
    fresh3_formats_of,
    fresh3_negative_content,
    fresh3_ordinary_line,
    pick_fresh3_lang,
)
from testkit.synth.open_text import ScreenContent, ScreenLine

FRESH3 = "fresh3"  # the generator's name in the manifest (labels carry split "fresh": hidden like the fresh split)

_TT, _OT, _X = "/usr/share/fonts/truetype/", "/usr/share/fonts/opentype/", "/usr/share/fonts/X11/misc/"
FRESH3_FONT_FILES: dict[str, tuple[str, int]] = {
    # Bitmap faces (X11 misc-fixed, Terminus, Unifont), drawn at their one native size.
    "fixed-5x7": (_X + "5x7.pcf.gz", 0),
    "fixed-5x8": (_X + "5x8.pcf.gz", 0),
    "fixed-6x10": (_X + "6x10.pcf.gz", 0),
    "fixed-6x13b": (_X + "6x13B.pcf.gz", 0),
    "fixed-7x13b": (_X + "7x13B.pcf.gz", 0),
    "fixed-9x15b": (_X + "9x15B.pcf.gz", 0),
    "fixed-10x20": (_X + "10x20.pcf.gz", 0),
    "fixed-12x24": (_X + "12x24.pcf.gz", 0),
    "terminus-bold": (_OT + "terminus/terminus-bold.otb", 0),
    "terminus-normal": (_OT + "terminus/terminus-normal.otb", 0),
    "unifont": (_OT + "unifont/unifont.otf", 0),
    # App faces: weights of Roboto, Open Sans, Cantarell, Lato and Noto Sans Display no other split uses.
    "roboto-medium": (_TT + "roboto/unhinted/RobotoTTF/Roboto-Medium.ttf", 0),
    "roboto-light": (_TT + "roboto/unhinted/RobotoTTF/Roboto-Light.ttf", 0),
    "roboto-black": (_TT + "roboto/unhinted/RobotoTTF/Roboto-Black.ttf", 0),
    "open-sans-semibold": (_TT + "open-sans/OpenSans-Semibold.ttf", 0),
    "open-sans-light": (_TT + "open-sans/OpenSans-Light.ttf", 0),
    "open-sans-cond-bold": (_TT + "open-sans/OpenSans-CondBold.ttf", 0),
    "cantarell-bold": (_OT + "cantarell/Cantarell-Bold.otf", 0),
    "lato-black": (_TT + "lato/Lato-Black.ttf", 0),
    "lato-regular": (_TT + "lato/Lato-Regular.ttf", 0),
    "noto-display": (_TT + "noto/NotoSansDisplay-Regular.ttf", 0),
    # Scripts the Latin faces lack.
    "hebrew-sans": (_TT + "noto/NotoSansHebrew-Regular.ttf", 0),
    "hebrew-serif": (_TT + "noto/NotoSerifHebrew-Bold.ttf", 0),
    "bengali-sans": (_TT + "noto/NotoSansBengali-Regular.ttf", 0),
    "bengali-serif": (_TT + "noto/NotoSerifBengali-Bold.ttf", 0),
    "tamil-sans": (_TT + "noto/NotoSansTamil-Regular.ttf", 0),
    "tamil-serif": (_TT + "noto/NotoSerifTamil-Bold.ttf", 0),
}
BITMAP_SIZES: dict[str, int] = {"fixed-5x7": 7, "fixed-5x8": 8, "fixed-6x10": 10, "fixed-6x13b": 13, "fixed-7x13b": 13,
                                "fixed-9x15b": 15, "fixed-10x20": 20, "fixed-12x24": 24, "terminus-bold": 16,
                                "terminus-normal": 16, "unifont": 16}
_APP = ("roboto-medium", "roboto-light", "roboto-black", "open-sans-semibold", "open-sans-light", "open-sans-cond-bold",
        "cantarell-bold", "lato-black", "lato-regular", "noto-display")
LAYOUT_FACES: dict[str, tuple[str, ...]] = {
    "charlcd": ("fixed-5x8", "fixed-5x7"), "vfd": ("fixed-5x7", "fixed-5x8"), "ledmatrix": ("fixed-5x7", "fixed-6x10"),
    "oled": ("fixed-6x10", "fixed-6x13b", "fixed-7x13b", "terminus-normal"), "app": _APP,
    "receipt": ("fixed-12x24", "fixed-10x20", "fixed-9x15b", "terminus-bold"),
}
FRESH3_LAYOUTS = tuple(LAYOUT_FACES)
CELL_LAYOUTS = frozenset({"charlcd", "vfd", "ledmatrix"})  # character ROMs: unaccented Latin only
SCENE_LAYOUTS = frozenset({"app", "receipt"})  # photographed scenes rather than a device's own screen
KIND_LAYOUTS: dict[str, tuple[str, ...]] = {
    "ventilator": ("charlcd", "vfd", "app"), "dialysis": ("app", "receipt", "vfd"), "lab": ("receipt", "app", "charlcd"),
    "projector": ("oled", "app"), "vending": ("vfd", "ledmatrix", "charlcd"), "sewing": ("oled", "charlcd", "app"),
    "scale": ("vfd", "ledmatrix", "receipt"), "garage": ("charlcd", "app", "oled"), "pool": ("charlcd", "app", "ledmatrix"),
    "softener": ("charlcd", "oled", "vfd"), "meter": ("charlcd", "app", "oled"), "kiosk": ("receipt", "app", "vfd"),
}
APP_TITLES: dict[str, str] = {  # the companion app's own name, as such apps are branded (not translated)
    "ventilator": "VentView", "dialysis": "Dialysis Monitor", "lab": "LabLink", "projector": "ProjectorRemote",
    "vending": "VendOps", "sewing": "StitchPad", "scale": "ScaleHub", "garage": "DoorLink", "pool": "PoolPilot",
    "softener": "SoftWater", "meter": "MyMeter", "kiosk": "KioskCare",
}

_THEMES: dict[str, tuple[tuple[Colour, Colour], ...]] = {  # (lit or text, ground)
    "charlcd": (((40, 58, 12), (162, 198, 44)), ((236, 244, 255), (34, 62, 214)), ((230, 232, 240), (14, 14, 18)),
                ((40, 24, 0), (250, 176, 40))),
    "vfd": (((120, 255, 215), (8, 14, 16)), ((150, 255, 160), (6, 12, 8))),
    "ledmatrix": (((255, 48, 24), (10, 6, 6)), ((255, 172, 0), (12, 9, 4)), ((90, 255, 90), (6, 10, 6))),
    "oled": (((236, 240, 255), (0, 0, 0)), ((90, 190, 255), (0, 0, 0)), ((255, 222, 70), (0, 0, 0)),
             ((90, 200, 255), (1, 1, 1))),  # the last: two-colour panel, yellow top band
    "app": (((28, 30, 36), (246, 247, 250)), ((232, 234, 240), (22, 24, 30))),
    "receipt": (((40, 40, 44), (238, 236, 228)), ((60, 58, 62), (244, 242, 236))),
}
_ACCENTS: tuple[Colour, ...] = ((214, 48, 49), (232, 126, 4), (0, 120, 212), (108, 52, 131), (0, 150, 136))


@dataclass(frozen=True, slots=True)
class Fresh3Style:
    """How a fresh3 screen looks."""

    layout: str  # one of FRESH3_LAYOUTS
    font: str  # key of FRESH3_FONT_FILES
    fg: Colour
    bg: Colour
    accent: Colour
    variant: str  # charlcd "16x2"/"20x4", oled "mono"/"two-colour", app "phone"/"tablet", receipt "58"/"80" ...
    tilt: float  # degrees a hand-held phone or a slip on the counter is turned
    dark: bool  # light text on a dark ground


@dataclass(frozen=True, slots=True)
class Fresh3ClipSpec:
    """One clip of the fresh3 split: what the screen shows, how it looks, how it is filmed and encoded."""

    index: int
    family: str
    format: str
    content: ScreenContent
    shown: str  # how the code line writes the code ("" on negatives)
    style: Fresh3Style
    screen_size: tuple[int, int]
    size: tuple[int, int]
    codec: str
    kbps: int
    seed: int
    screen_seed: int


def layouts_for(kind: str, lang: str) -> tuple[str, ...]:
    """The screen kinds this kind of device shows text of this language on (character ROMs have no other scripts;
    an app shows any)."""
    return tuple(o for o in KIND_LAYOUTS[kind] if lang in langs_for(o)) or ("app",)


def langs_for(layout: str) -> frozenset[str]:
    """The languages a screen kind can show: a character ROM unaccented Latin, an OLED's bitmap faces Latin,
    Cyrillic and Hebrew, an app or a printed slip any."""
    if layout in CELL_LAYOUTS:
        return LATIN_LANGS
    return LATIN_LANGS | {"uk", "he"} if layout == "oled" else frozenset(FRESH3_LANGS)


def layouts_for_format(fmt: FamilyFormat) -> tuple[str, ...]:
    """Every layout a code of this format can appear on (in some language)."""
    return KIND_LAYOUTS[fmt.kind]


def random_fresh3_style(rng: np.random.Generator, layout: str, code: str) -> Fresh3Style:
    """Face, theme, geometry and tilt for a layout."""
    faces = LAYOUT_FACES[layout]
    font = faces[int(rng.integers(len(faces)))]
    themes = _THEMES[layout]
    k = int(rng.integers(len(themes)))
    fg, bg = themes[k]
    accent = _ACCENTS[int(rng.integers(len(_ACCENTS)))]
    variants = {"charlcd": ("16x2", "20x4", "20x4"), "vfd": ("20x2", "20x4"), "ledmatrix": ("2row",),
                "oled": ("mono",), "app": ("phone", "phone", "tablet"), "receipt": ("58", "80")}[layout]
    variant = variants[int(rng.integers(len(variants)))]
    if layout == "oled" and k == len(themes) - 1:
        variant = "two-colour"
    tilt = float(rng.uniform(-7, 7)) if layout in ("app", "receipt") else 0.0
    return Fresh3Style(layout, font, fg, bg, accent, variant, tilt, sum(bg) < sum(fg))


def fresh3_screen_size(layout: str, rng: np.random.Generator) -> tuple[int, int]:
    """Native pixel size of a screen of this layout (app and receipt include the scene around the phone or slip)."""
    if layout in ("charlcd", "vfd"):
        return int(rng.integers(620, 780)), int(rng.integers(250, 330))
    if layout == "ledmatrix":
        return int(rng.integers(760, 940)), int(rng.integers(220, 290))
    if layout == "oled":
        return int(rng.integers(560, 700)), int(rng.integers(320, 400))
    return int(rng.integers(1000, 1200)), int(rng.integers(580, 680))  # app, receipt


_font = font_loader(FRESH3_FONT_FILES)


def _font_px(name: str, px: int) -> ImageFont.FreeTypeFont:
    """A face at a size; bitmap faces only at their native size."""
    return _font(name, BITMAP_SIZES.get(name, px))


# --- text: scripts, bidirectional order, faces ---------------------------------------------------------------------

_HEBREW = re.compile(r"[\u0590-\u05ff]")
_BENGALI = re.compile(r"[\u0980-\u09ff]")
_TAMIL = re.compile(r"[\u0b80-\u0bff]")
_SCRIPT_RUN = re.compile(r"([\u0590-\u05ff][\u0590-\u05ff ]*[\u0590-\u05ff]|[\u0590-\u05ff]"
                         r"|[\u0980-\u09ff][\u0980-\u09ff ]*[\u0980-\u09ff]|[\u0980-\u09ff]"
                         r"|[\u0b80-\u0bff][\u0b80-\u0bff ]*[\u0b80-\u0bff]|[\u0b80-\u0bff])")


def ascii_fold(text: str) -> str:
    """Text as a character ROM without accents shows it (Vietnamese, Czech and Swedish letters lose their marks)."""
    text = text.replace("đ", "d").replace("Đ", "D").replace("°", "'")
    return "".join(c for c in unicodedata.normalize("NFKD", text) if ord(c) < 128)


def _script_face(run: str, base: str, serif: bool) -> str:
    if _HEBREW.search(run):
        return "hebrew-serif" if serif else "hebrew-sans"
    if _BENGALI.search(run):
        return "bengali-serif" if serif else "bengali-sans"
    if _TAMIL.search(run):
        return "tamil-serif" if serif else "tamil-sans"
    return base if _covers(base, run) else ("unifont" if base in BITMAP_SIZES else "noto-display")


@lru_cache(maxsize=4096)
def _covers(face: str, text: str) -> bool:
    """Whether the face has a glyph for every character of the text (a missing glyph draws the same as a
    private-use one)."""
    font = _font_px(face, 24)
    missing = bytes(font.getmask("\ue000"))
    return all(c.isspace() or bytes(font.getmask(c)) != missing for c in set(text))


def _pieces(text: str, shown: str | None) -> list[tuple[str, bool]]:
    """The line cut into runs of one script, in visual order, each marked whether it is the code; a line holding
    Hebrew runs right to left (its neutral runs mirrored), the code staying one left-to-right run."""
    if shown and shown in text:
        before, _, after = text.partition(shown)
        parts = [(before, False), (shown, True), (after, False)]
    else:
        parts = [(text, False)]
    out: list[tuple[str, bool]] = []
    for part, is_code in parts:
        if is_code:
            out.append((part, True))
        else:
            out += [(p, False) for p in _SCRIPT_RUN.split(part) if p]
    if _HEBREW.search(text):
        out = [(p if is_code or re.search(r"[\w]", p) else p[::-1], is_code) for p, is_code in reversed(out)]
    return out


def draw_text(draw: ImageDraw.ImageDraw, xy: tuple[float, float], text: str, shown: str | None, face: str, px: int,
              fill: Colour | int, serif: bool = False, measure: bool = False) -> tuple[float, tuple[float, float] | None]:
    """Draw a line from xy in script runs; returns where it ends and the code's x span (None without the code)."""
    x, y = xy
    span = None
    for piece, is_code in _pieces(text, shown):
        font = _font_px(_script_face(piece, face, serif), px)
        if not measure:
            draw.text((x, y), piece, font=font, fill=fill)
        w = draw.textlength(piece, font=font)
        if is_code:
            span = (x, x + w)
        x += w
    return x, span


def text_width(text: str, face: str, px: int, serif: bool = False) -> float:
    """Width of a line drawn by draw_text."""
    return draw_text(_PROBE, (0, 0), text, None, face, px, 0, serif, measure=True)[0]


_PROBE = ImageDraw.Draw(Image.new("L", (4, 4)))


# --- character and pixel displays ------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Row:
    """One row of a small display: its text and where the code is in it (character columns)."""

    text: str
    code: tuple[int, int] | None
    role: str


def fit_rows(lines: list[ScreenLine], shown: str, cols: int, rows: int, fold: bool) -> list[Row]:
    """The screen's lines as rows of at most `cols` characters, at most `rows` of them: a code line too long for a
    row puts its caption above the code; ordinary numbers, then messages, then titles give way when rows run out
    (never the code or its caption)."""
    out: list[Row] = []
    for ln in lines:
        text = ascii_fold(ln.text) if fold else ln.text
        if ln.role == "code" and shown in text:
            if len(text) <= cols:
                i = text.index(shown)
                out.append(Row(text, (i, i + len(shown)), "code"))
            else:
                caption = text.replace(shown, "").strip(" :")
                if caption:
                    out.append(Row(caption[:cols], None, "caption"))
                out.append(Row(shown, (0, len(shown)), "code"))
        else:
            out.append(Row(text[:cols].rstrip(), None, ln.role))
    for role in ("number", "text", "title"):
        while len(out) > rows and any(r.role == role for r in out):
            del out[max(i for i, r in enumerate(out) if r.role == role)]
    return out[:rows]


@lru_cache(maxsize=2048)
def _glyph(face: str, char: str, w: int, h: int) -> np.ndarray:
    """A character of a bitmap face as a w x h array of lit dots."""
    img = Image.new("L", (w, h), 0)
    d = ImageDraw.Draw(img)
    d.fontmode = "1"
    d.text((0, 0), char, font=_font_px(face, h), fill=255)
    return np.asarray(img) > 127


def _dots(lit: np.ndarray, real: np.ndarray, pitch: int, fg: Colour, unlit: Colour, ground: Colour, shape: str,
          glow: float) -> np.ndarray:
    """Render a dot array as a panel (RGB float): each real dot a square (LCD, OLED) or round (LED, VFD) spot in the
    lit or unlit colour, the ground between them, and a soft glow around lit dots for emissive panels."""
    rows, cols = lit.shape
    spot = np.zeros((pitch, pitch), np.float32)
    if shape == "square":
        gap = max(1, pitch // 6)
        spot[: pitch - gap, : pitch - gap] = 1.0
    else:
        yy, xx = np.mgrid[0:pitch, 0:pitch]
        r = pitch * (0.42 if shape == "round" else 0.36)
        spot = np.clip(r + 0.5 - np.hypot(yy - (pitch - 1) / 2, xx - (pitch - 1) / 2), 0, 1).astype(np.float32)
    mask = np.kron(real.astype(np.float32), spot)[..., None]
    on = np.kron(lit.astype(np.float32), np.ones((pitch, pitch), np.float32))[..., None]
    colour = on * np.array(fg, np.float32) + (1 - on) * np.array(unlit, np.float32)
    panel = mask * colour + (1 - mask) * np.array(ground, np.float32)
    if glow > 0:
        halo = cv2.GaussianBlur(on[..., 0] * mask[..., 0], (0, 0), pitch * 0.9)[..., None]
        panel = panel + glow * halo * np.array(fg, np.float32)
    return panel


def _mix(a: Colour, b: Colour, t: float) -> Colour:
    return (int(a[0] * (1 - t) + b[0] * t), int(a[1] * (1 - t) + b[1] * t), int(a[2] * (1 - t) + b[2] * t))


def _place_panel(panel: np.ndarray, size: tuple[int, int], frame: Colour, rng: np.random.Generator
                 ) -> tuple[np.ndarray, tuple[int, int]]:
    """The panel centred in the device's frame (a dark window around the glass); returns the image and the panel's
    offset."""
    w, h = size
    canvas = np.empty((h, w, 3), np.float32)
    canvas[:] = np.array(frame, np.float32)
    canvas += rng.normal(0, 3, (h, w, 1)).astype(np.float32)
    ph, pw = panel.shape[:2]
    x0, y0 = (w - pw) // 2, (h - ph) // 2
    canvas[y0:y0 + ph, x0:x0 + pw] = panel
    return canvas, (x0, y0)


def _cell_display(content: ScreenContent, shown: str, style: Fresh3Style, size: tuple[int, int],
                  rng: np.random.Generator) -> tuple[Image.Image, Box | None]:
    """A character module (HD44780-style LCD, VFD, or LED sign): 5x7/5x8 dot cells with gaps, text from the
    module's character ROM."""
    w, h = size
    layout = style.layout
    if layout == "ledmatrix":  # an LED sign: two rows, no gaps between characters' dots but one blank column
        cw, ch = (5, 7) if style.font == "fixed-5x7" else (6, 10)
        cols, nrows, gx, gy = (22 if cw == 5 else 18), 2, 1, 2
    else:
        cols, nrows = (int(v) for v in style.variant.split("x"))
        cw, ch, gx, gy = 5, 8 if style.font == "fixed-5x8" else 7, 1, 1 if layout == "charlcd" else 2
    lines = list(content.lines)
    rows = fit_rows(lines, shown, cols, nrows, fold=True)
    dots_w, dots_h = cols * (cw + gx) - gx, nrows * (ch + gy) - gy
    margin = 2 if layout != "ledmatrix" else 1
    pitch = max(3, int(min(w * 0.9 / (dots_w + 2 * margin), h * 0.85 / (dots_h + 2 * margin))))
    lit = np.zeros((dots_h + 2 * margin, dots_w + 2 * margin), bool)
    real = np.zeros_like(lit)
    code_cells = None
    for r in range(nrows):
        text = rows[r].text if r < len(rows) else ""
        centred = r < len(rows) and rows[r].role in ("title", "text", "caption") and layout != "charlcd"
        start = max(0, (cols - len(text)) // 2) if centred else 0
        for c in range(cols):
            y0, x0 = margin + r * (ch + gy), margin + c * (cw + gx)
            if layout != "ledmatrix":
                real[y0:y0 + ch, x0:x0 + cw] = True
            k = c - start
            if 0 <= k < len(text) and text[k] != " ":
                lit[y0:y0 + ch, x0:x0 + cw] = _glyph(style.font, text[k], cw, ch)
        span = rows[r].code if r < len(rows) else None
        if span is not None:
            a, b = span
            code_cells = (margin + (start + a) * (cw + gx), margin + r * (ch + gy), margin + (start + b) * (cw + gx) - gx,
                          margin + r * (ch + gy) + ch)
    if layout == "ledmatrix":
        real[:] = True
        panel = _dots(lit, real, pitch, style.fg, _mix(style.bg, style.fg, 0.12), style.bg, "round", 0.55)
        frame: Colour = (18, 18, 20)
    elif layout == "vfd":
        panel = _dots(lit, real, pitch, style.fg, _mix(style.bg, style.fg, 0.07), style.bg, "soft", 0.7)
        panel = _vfd_glass(panel, pitch, rng)
        frame = (12, 12, 14)
    else:
        unlit = _mix(style.bg, style.fg, 0.08)
        panel = _dots(lit, real, pitch, style.fg, unlit, style.bg, "square", 0.0)
        panel = _backlight(panel, rng)
        frame = (24, 26, 24) if not style.dark else (40, 40, 44)
    canvas, (ox, oy) = _place_panel(panel, size, frame, rng)
    box = None if code_cells is None else (ox + code_cells[0] * pitch, oy + code_cells[1] * pitch,
                                           ox + code_cells[2] * pitch, oy + code_cells[3] * pitch)
    return Image.fromarray(np.clip(canvas, 0, 255).astype(np.uint8)), box


def _backlight(panel: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """An LED backlight: brighter where its LEDs sit, darker towards an edge."""
    h, w = panel.shape[:2]
    xx = np.linspace(-1, 1, w, dtype=np.float32)[None, :]
    yy = np.linspace(-1, 1, h, dtype=np.float32)[:, None]
    cx = float(rng.uniform(-0.6, 0.6))
    light = 1.08 - 0.18 * ((xx - cx) ** 2) - 0.1 * yy ** 2
    return panel * light[..., None]


def _vfd_glass(panel: np.ndarray, pitch: int, rng: np.random.Generator) -> np.ndarray:
    """A VFD's look: the fine grid mesh over the anodes, filament wires across, a tinted glass."""
    h, w = panel.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w]
    period = max(3, pitch // 2)
    mesh = (((xx + yy) % period == 0) | ((xx - yy) % period == 0)).astype(np.float32)
    out = panel * (1 - 0.28 * mesh[..., None])
    for y in rng.uniform(0.15, 0.85, 3):  # filament wires
        row = int(y * h)
        out[row:row + 1] = out[row:row + 1] * 0.7 + 40
    return out * np.array([0.92, 1.0, 0.97], np.float32)


def _oled(content: ScreenContent, shown: str, style: Fresh3Style, size: tuple[int, int],
          rng: np.random.Generator) -> tuple[Image.Image, Box | None]:
    """A 128x64 monochrome OLED (SSD1306-style): a status band, rows of bitmap text, the code row in a bolder face;
    every pixel a visible square, the two-colour panel's top band yellow."""
    cols_px, rows_px = 128, 64
    low = Image.new("L", (cols_px, rows_px), 0)
    draw = ImageDraw.Draw(low)
    draw.fontmode = "1"
    fold = content.lang in LATIN_LANGS
    small = "fixed-5x8" if style.font == "fixed-6x10" else "fixed-6x10"
    # Status band: a signal icon, the clock and a battery, all in the top 16 rows.
    for i in range(4):
        draw.rectangle([2 + 3 * i, 10 - 2 * i, 3 + 3 * i, 11], fill=255)
    draw.text((48, 2), f"{int(rng.integers(0, 24)):02d}:{int(rng.integers(0, 60)):02d}", font=_font_px(small, 8),
              fill=255)
    draw.rectangle([108, 3, 124, 10], outline=255)
    draw.rectangle([110, 5, 110 + int(rng.integers(2, 13)), 8], fill=255)
    body = "unifont" if not fold else style.font
    per_row = max(8, int(126 / text_width("M", body, 10)))
    code_face = "fixed-7x13b" if fold else "unifont"

    def face_of(row: Row) -> str:
        wide = row.role == "code" and text_width(row.text, code_face, 13) > 126
        return code_face if row.role == "code" and not wide else body

    budget = 64 - 16
    for n in range(5, 1, -1):  # as many rows as the 48 rows of pixels below the status band hold
        rows = fit_rows(list(content.lines), shown, per_row, n, fold)
        if sum(BITMAP_SIZES[face_of(r)] + 1 for r in rows) <= budget:
            break
    y, box = 16, None
    for row in rows:
        face = face_of(row)
        px = BITMAP_SIZES[face]
        text = row.text
        while text_width(text, face, px) > 126 and len(text) > 4 and row.role != "code":
            text = text[:-1]
        width = text_width(text, face, px)
        x = 1 if row.role not in ("title", "caption") else max(1, (128 - width) / 2)
        _, span = draw_text(draw, (x, y), text, shown if row.role == "code" else None, face, px, 255)
        if span:
            box = (span[0], y, span[1], y + px)
        y += px + 1
    lit = np.asarray(low) > 127
    pitch = max(3, int(min(size[0] * 0.9 / 128, size[1] * 0.9 / 64)))
    real = np.ones_like(lit)
    panel = _dots(lit, real, pitch, style.fg, (8, 8, 10), (2, 2, 3), "square", 0.25)
    if style.variant == "two-colour":  # the top 16 rows light yellow on these panels
        top = _dots(lit[:16], real[:16], pitch, (255, 214, 60), (8, 8, 10), (2, 2, 3), "square", 0.25)
        panel[: 16 * pitch] = top
    canvas, (ox, oy) = _place_panel(panel, size, (16, 16, 18), rng)
    scaled = None if box is None else (ox + box[0] * pitch, oy + box[1] * pitch, ox + box[2] * pitch,
                                       oy + box[3] * pitch)
    return Image.fromarray(np.clip(canvas, 0, 255).astype(np.uint8)), scaled


# --- scenes: an app beside the device, a slip on the counter -------------------------------------------------------

def _rotate_onto(canvas: Image.Image, item: Image.Image, centre: tuple[float, float], angle: float,
                 box: Box | None) -> Box | None:
    """Paste an RGBA item turned by angle with its centre at `centre`; returns where the item's box lands."""
    turned = item.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True)
    x0, y0 = int(centre[0] - turned.width / 2), int(centre[1] - turned.height / 2)
    canvas.paste(turned, (x0, y0), turned)
    if box is None:
        return None
    a = np.deg2rad(angle)
    cx, cy = item.width / 2, item.height / 2
    pts = [(box[0], box[1]), (box[2], box[1]), (box[2], box[3]), (box[0], box[3])]
    xs, ys = [], []
    for px, py in pts:  # PIL turns counter-clockwise on screen for a positive angle
        dx, dy = px - cx, py - cy
        xs.append(centre[0] + dx * np.cos(a) + dy * np.sin(a))
        ys.append(centre[1] - dx * np.sin(a) + dy * np.cos(a))
    return (max(0.0, min(xs)), max(0.0, min(ys)), min(float(canvas.width), max(xs)), min(float(canvas.height), max(ys)))


def _room(size: tuple[int, int], rng: np.random.Generator) -> Image.Image:
    """A blurred room or counter behind the scene: a smooth two-tone gradient with grain."""
    w, h = size
    a = np.array([rng.integers(60, 200) for _ in range(3)], np.float32)
    b = a * rng.uniform(0.55, 0.9)
    t = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    img = a * (1 - t) + b * t + rng.normal(0, 4, (h, w, 1)).astype(np.float32)
    return Image.fromarray(np.clip(np.broadcast_to(img, (h, w, 3)), 0, 255).astype(np.uint8))


def _app(content: ScreenContent, shown: str, style: Fresh3Style, size: tuple[int, int], rng: np.random.Generator
         ) -> tuple[Image.Image, Box | None]:
    """The device's companion app on a phone or tablet held beside the device: status bar, app bar, an alert card
    with the code, then a list of readings; the device's casing with a red lamp in the background."""
    w, h = size
    canvas = _room(size, rng)
    cd = ImageDraw.Draw(canvas)
    casing = tuple(int(v) for v in rng.integers(150, 235, 3))
    dx = int(w * rng.uniform(0.55, 0.66))
    cd.rounded_rectangle([dx, int(h * 0.12), int(w * 1.05), int(h * 0.95)], radius=int(h * 0.04), fill=casing,
                         outline=tuple(max(0, c - 50) for c in casing), width=3)
    cd.rounded_rectangle([dx + w * 0.06, h * 0.25, dx + w * 0.3, h * 0.45], radius=8, fill=(30, 34, 36))
    cd.ellipse([dx + w * 0.08, h * 0.55, dx + w * 0.1, h * 0.55 + w * 0.02], fill=(230, 40, 30))
    ink = tuple(max(0, c - 110) for c in casing)
    for i in range(3):  # the device's own keys and its rating label (ordinary numbers again)
        cd.ellipse([dx + w * (0.14 + 0.06 * i), h * 0.55, dx + w * (0.17 + 0.06 * i), h * 0.55 + w * 0.03], outline=ink,
                   width=2)
    cd.text((dx + w * 0.06, h * 0.72), fresh3_ordinary_line(content.kind, rng), font=_font_px("roboto-medium",
                                                                                                int(h * 0.035)), fill=ink)
    phone = style.variant == "phone"
    sw, sh = (int(h * 0.47), int(h * 0.92)) if phone else (int(w * 0.58), int(h * 0.72))
    ui, box = _app_ui(content, shown, style, (sw, sh), rng)
    bezel = max(8, sw // 22)
    body = Image.new("RGBA", (sw + 2 * bezel, sh + 2 * bezel), (0, 0, 0, 0))
    bd = ImageDraw.Draw(body)
    bd.rounded_rectangle([0, 0, body.width - 1, body.height - 1], radius=bezel * 3, fill=(18, 18, 20, 255))
    body.paste(ui, (bezel, bezel))
    box = None if box is None else (box[0] + bezel, box[1] + bezel, box[2] + bezel, box[3] + bezel)
    centre = (w * (0.3 if phone else 0.34), h * (0.5 if phone else 0.52))
    box = _rotate_onto(canvas, body, centre, style.tilt, box)
    # The hand's thumb over the phone's edge: a turned capsule with its nail.
    skin = cast(Colour, tuple(int(v) for v in np.array((206, 160, 130)) * rng.uniform(0.7, 1.05)))
    thumb = Image.new("RGBA", (int(w * 0.07), int(h * 0.3)), (0, 0, 0, 0))
    td = ImageDraw.Draw(thumb)
    td.rounded_rectangle([0, 0, thumb.width - 1, thumb.height - 1], radius=thumb.width // 2, fill=(*skin, 255))
    td.rounded_rectangle([thumb.width * 0.2, thumb.height * 0.05, thumb.width * 0.8, thumb.height * 0.25],
                         radius=thumb.width // 4, fill=(*_mix(skin, (255, 235, 225), 0.4), 255))
    _rotate_onto(canvas, thumb, (centre[0] - body.width * 0.45, centre[1] + body.height * 0.42), -35, None)
    return canvas.convert("RGB"), box


def _app_ui(content: ScreenContent, shown: str, style: Fresh3Style, size: tuple[int, int],
            rng: np.random.Generator) -> tuple[Image.Image, Box | None]:
    """The app's screen itself."""
    sw, sh = size
    ui = Image.new("RGB", (sw, sh), style.bg)
    d = ImageDraw.Draw(ui)
    base = max(9, int(min(sh * 0.032, sw * 0.055)))
    bar = int(base * 1.6)
    d.text((base * 0.6, bar * 0.2), f"{int(rng.integers(0, 24))}:{int(rng.integers(0, 60)):02d}",
           font=_font_px(style.font, int(base * 0.85)), fill=style.fg)
    d.rectangle([sw - base * 2.4, bar * 0.3, sw - base * 0.8, bar * 0.7], outline=style.fg, width=1)
    head = int(base * 2.6)
    d.rectangle([0, bar, sw, bar + head], fill=style.accent)
    d.text((base * 1.8, bar + head * 0.25), APP_TITLES[content.kind], font=_font_px(style.font, int(base * 1.15)),
           fill=(255, 255, 255))
    d.line([(base * 0.5, bar + head / 2), (base * 1.1, bar + head * 0.3)], fill=(255, 255, 255), width=2)
    d.line([(base * 0.5, bar + head / 2), (base * 1.1, bar + head * 0.7)], fill=(255, 255, 255), width=2)
    y = bar + head + base * 0.8
    left, right = base * 0.8, sw - base * 0.8
    code_lines = [ln for ln in content.lines if ln.role in ("code", "title", "text")]
    rtl = content.lang == "he"  # an app in Hebrew lays its rows out from the right
    numbers = [ln for ln in content.lines if ln.role == "number"]
    box = None
    if content.code:
        card_h = base * (2.1 + 1.6 * len(code_lines))
        tint = _mix(style.bg, style.accent if not style.dark else (200, 60, 60), 0.14)
        d.rounded_rectangle([left, y, right, y + card_h], radius=base // 2, fill=tint, outline=_mix(tint, style.fg, 0.2))
        d.ellipse([left + base * 0.5, y + base * 0.6, left + base * 1.5, y + base * 1.6], fill=(220, 50, 40))
        yy = y + base * 0.5
        for ln in code_lines:
            px = int(base * (1.4 if ln.role == "code" else 0.95))
            text = ln.text
            while text_width(text, style.font, px) > right - left - base * 2.4 and px > 7:
                px -= 1
            x = right - base * 2.4 - text_width(text, style.font, px) if rtl else left + base * 2
            _, span = draw_text(d, (x, yy), text, shown if ln.role == "code" else None, style.font, px, style.fg)
            if span:
                box = (span[0], yy, span[1], yy + px * 1.2)
            yy += base * (1.8 if ln.role == "code" else 1.5)
        y += card_h + base * 0.8
    else:
        d.ellipse([left, y, left + base * 1.3, y + base * 1.3], fill=(40, 170, 80))  # the app's "all well" badge
        draw_text(d, (left + base * 1.8, y), code_lines[0].text if code_lines else "", None, style.font, int(base * 1.2),
                  style.fg)
        y += base * 2.2
    for ln in numbers + _more_numbers(content, int(rng.integers(3, 7)), rng):
        if y > sh - base * 4:
            break
        px = int(base * 0.95)
        x = right - text_width(ln.text, style.font, px) if rtl else left
        draw_text(d, (x, y), ln.text, None, style.font, px, style.fg)
        y += base * 1.55
        d.line([(left, y - base * 0.3), (right, y - base * 0.3)], fill=_mix(style.bg, style.fg, 0.15), width=1)
    nav = sh - base * 2.4
    d.rectangle([0, nav, sw, sh], fill=_mix(style.bg, style.fg, 0.06))
    for i in range(4):
        cx = sw * (0.125 + 0.25 * i)
        d.ellipse([cx - base * 0.45, nav + base * 0.7, cx + base * 0.45, nav + base * 1.6],
                  outline=_mix(style.bg, style.fg, 0.5), width=2)
    return ui, box


def _more_numbers(content: ScreenContent, n: int, rng: np.random.Generator) -> list[ScreenLine]:
    """Further ordinary-number rows of the device (an app's readings, a slip's settings), none repeating the label
    of a row already shown."""
    labels = {ln.text.split()[0] for ln in content.lines if ln.text.split()}
    out: list[ScreenLine] = []
    for _ in range(n * 3):
        text = fresh3_ordinary_line(content.kind, rng)
        if text.split()[0] not in labels and len(out) < n:
            labels.add(text.split()[0])
            out.append(ScreenLine(text, "number"))
    return out


def _receipt(content: ScreenContent, shown: str, style: Fresh3Style, size: tuple[int, int], rng: np.random.Generator
             ) -> tuple[Image.Image, Box | None]:
    """A printed self-test or service slip on thermal paper lying on a counter: fixed-pitch printer font, faded
    rows and a streak where the head is worn, the paper curled and turned."""
    w, h = size
    canvas = _room(size, rng)
    cols = 32 if style.variant == "58" else 42
    face = style.font
    px = BITMAP_SIZES[face]
    cw = max(1.0, text_width("M", face, px))
    fold = content.lang in ("vi",)  # printer code pages have no Vietnamese
    stamp = (f"{int(rng.integers(2024, 2027))}-{int(rng.integers(1, 13)):02d}-{int(rng.integers(1, 29)):02d} "
             f"{int(rng.integers(0, 24)):02d}:{int(rng.integers(0, 60)):02d}")
    header = [("*** SELF TEST ***" if rng.random() < 0.5 else "SERVICE REPORT", "head"), (stamp, "head"),
              ("-" * cols, "rule")]
    extra = _more_numbers(content, int(rng.integers(1, 3)), rng)
    latin = content.lang in LATIN_LANGS
    body = [(ascii_fold(ln.text) if fold else _printable(ln.text, face, latin), ln.role)
            for ln in [*content.lines, *extra]]
    rows = header + body + [("-" * cols, "rule"), ("", "blank"), ("", "blank")]
    pw, line_h = int(cw * cols + cw * 2), int(px * 1.35)
    ph = int(line_h * (len(rows) + 3))
    paper = Image.new("L", (pw, ph), 0)
    pd = ImageDraw.Draw(paper)
    pd.fontmode = "1"
    box = None
    for i, (text, role) in enumerate(rows):
        y = line_h * (i + 1.5)
        ink = int(255 * rng.uniform(0.55, 1.0))  # thermal rows print unevenly
        width = text_width(text, face, px)
        x = (pw - width) / 2 if role == "head" else cw
        _, span = draw_text(pd, (x, y), text, shown if role == "code" else None, face, px, ink)
        if span:
            box = (span[0], y, span[1], y + px)
    density = np.asarray(paper, np.float32) / 255.0
    streak = 1.0 - 0.5 * np.exp(-((np.arange(pw) - rng.uniform(0.2, 0.8) * pw) ** 2) / (2 * (pw * 0.03) ** 2))
    density *= streak[None, :] * rng.uniform(0.6, 0.95)
    paper_rgb = (np.array(style.bg, np.float32) * (1 - density[..., None])
                 + np.array(style.fg, np.float32) * density[..., None])
    paper_rgb += rng.normal(0, 3, (ph, pw, 1)).astype(np.float32)
    # Curl: the slip bows across its width, darker where it bends away from the light.
    amp = rng.uniform(0.01, 0.03) * pw
    xs = np.arange(pw, dtype=np.float32)
    bow = amp * np.sin(np.pi * xs / pw)
    map_x = np.tile(xs, (ph, 1))
    map_y = np.arange(ph, dtype=np.float32)[:, None] - bow[None, :]
    curled = cv2.remap(paper_rgb, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    shade = 1.0 - 0.12 * (np.abs(xs - pw / 2) / (pw / 2)) ** 2
    curled *= shade[None, :, None]
    if box is not None:
        lift = float(amp * np.sin(np.pi * ((box[0] + box[2]) / 2) / pw))
        box = (box[0], box[1] + lift - 1, box[2], box[3] + lift + 1)
    scale = min(h * 0.92 / ph, w * 0.5 / pw)
    item = Image.fromarray(np.clip(curled, 0, 255).astype(np.uint8)).resize(
        (max(8, int(pw * scale)), max(8, int(ph * scale))), Image.Resampling.LANCZOS).convert("RGBA")
    alpha = np.asarray(item.getchannel("A")).copy()
    teeth = max(3, item.width // 40)  # the tear bar's teeth along both ends
    depth = (teeth / 2 - np.abs(np.arange(item.width) % teeth - teeth / 2)).astype(int)
    for x, d in enumerate(depth):
        alpha[:d, x] = 0
        alpha[alpha.shape[0] - d:, x] = 0
    item.putalpha(Image.fromarray(alpha))
    box = None if box is None else (box[0] * scale, box[1] * scale, box[2] * scale, box[3] * scale)
    shadow = Image.new("RGBA", item.size, (0, 0, 0, 90))
    centre = (w * rng.uniform(0.42, 0.58), h * 0.5 + item.height * rng.uniform(-0.05, 0.05))
    _rotate_onto(canvas, shadow, (centre[0] + 6, centre[1] + 8), style.tilt, None)
    box = _rotate_onto(canvas, item, centre, style.tilt, box)
    return canvas.convert("RGB"), box


def _printable(text: str, face: str, latin: bool) -> str:
    """What a printer prints of a Latin-script line: its accents dropped when its face (code page) lacks them."""
    return ascii_fold(text) if latin and not _covers(face, text) else text


def render_fresh3_screen(content: ScreenContent, shown: str, style: Fresh3Style, size: tuple[int, int],
                         rng: np.random.Generator) -> tuple[np.ndarray, Box | None]:
    """A flat fresh3 screen (BGR uint8 of size (width, height)) and the code's box on it (None without a code)."""
    if style.layout in CELL_LAYOUTS:
        pil, box = _cell_display(content, shown, style, size, rng)
    else:
        pil, box = {"oled": _oled, "app": _app, "receipt": _receipt}[style.layout](content, shown, style, size, rng)
    if pil.size != size:
        pil = pil.resize(size)
    return cv2.cvtColor(np.asarray(pil), cv2.COLOR_RGB2BGR), (box if content.code else None)


def _pick_layout(kind: str, rng: np.random.Generator) -> str:
    options = KIND_LAYOUTS[kind]
    return options[int(rng.integers(len(options)))]


def plan_fresh3(families: list[str], seed: int, per_format: int, negatives: int,
                sizes: tuple[tuple[int, int], ...]) -> list[Fresh3ClipSpec]:
    """Every clip of a fresh3 set (deterministic per seed): per_format screens of each format, then negatives of the
    same kinds of device; each screen filmed once at every size, VP8 as browsers send it."""
    rng = np.random.default_rng(seed)
    screens: list[PlannedScreen] = []
    formats = fresh3_formats_of(families)
    for fmt in formats:
        for _ in range(per_format):
            distractors = int(rng.choice([1, 2, 3], p=[0.3, 0.4, 0.3]))
            layout = _pick_layout(fmt.kind, rng)  # the screen kind first, then a language it can show
            content, shown = fresh3_error_content(fmt, rng, pick_fresh3_lang(rng, langs_for(layout)), distractors)
            screens.append(PlannedScreen(fmt.family, fmt.name, content, shown, layout))
    kinds = sorted({f.kind for f in formats}) or list(FRESH3_KINDS)
    for i in range(negatives):
        kind = kinds[i % len(kinds)]
        layout = _pick_layout(kind, rng)
        content = fresh3_negative_content(rng, pick_fresh3_lang(rng, langs_for(layout)), kind)
        screens.append(PlannedScreen(NEGATIVE, NEGATIVE, content, "", layout))
    return film_plan(screens, sizes, rng, random_fresh3_style, fresh3_screen_size,
                     lambda f: Fresh3ClipSpec(f.index, f.screen.family, f.screen.format, f.screen.content, f.screen.shown,
                                              f.style, f.screen_size, f.size, "vp8", f.kbps, f.seed, f.screen_seed))


def fresh3_code_box(spec: Fresh3ClipSpec) -> list[float]:
    """Where the code is on the rendered screen, as shares of its width and height ([] without a code)."""
    screen, box = render_fresh3_screen(spec.content, spec.shown, spec.style, spec.screen_size,
                                       np.random.default_rng(spec.screen_seed))
    return relative_box(box, screen.shape)


def render_fresh3_clip(spec: Fresh3ClipSpec, fps: int, lead_in_s: float, screen_s: float) -> list[np.ndarray]:
    """BGR frames of the clip: the rendered screen filmed by a hand-held phone; a scene (an app beside the device, a
    slip on the counter) fills the picture as a photo of it does, with no device bezel around it."""
    screen, _ = render_fresh3_screen(spec.content, spec.shown, spec.style, spec.screen_size,
                                     np.random.default_rng(spec.screen_seed))
    if spec.style.layout not in SCENE_LAYOUTS:
        return film_rendered(screen, spec.size, fps, lead_in_s, screen_s, spec.seed)
    rng = np.random.default_rng(spec.seed)
    params = random_capture_params(rng, spec.size, screen.shape[1] / screen.shape[0])
    quad = params.quad
    span = quad.max(axis=0) - quad.min(axis=0)
    grow = max(spec.size[0] / span[0], spec.size[1] / span[1]) * 1.22  # corners stay out of the picture when turned
    centre = np.array(spec.size, np.float32) / 2
    filled = replace(params, quad=((quad - quad.mean(axis=0)) * grow + centre).astype(np.float32), bezel=0.0)
    return film_screen(screen, spec.size, fps, lead_in_s, screen_s, spec.seed, rng, filled)
