"""Screens and plans of the fourth fresh split, fresh4 (not to be read by anyone tuning the reader; see
testkit/synth/fresh4_formats.py): three screen kinds no other split draws (a touch HMI with buttons, a backlit icon
panel with a small segment window, a laptop's service tool window photographed at an angle) beside fresh3's
character LCDs, VFDs, LED signs and OLEDs (reused by import), with the code's place on the screen recorded.

Filming (hand shake, perspective, glare, moire, motion blur, noise) is testkit/synth/clips.py's, as for every split.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, replace
from functools import lru_cache

import cv2
import numpy as np
from PIL import Image, ImageDraw

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
from testkit.synth.fresh3_screens import LAYOUT_FACES as FRESH3_LAYOUT_FACES
from testkit.synth.fresh3_screens import Fresh3Style, _cell_display, _oled
from testkit.synth.fresh4_formats import (
    FRESH4_KINDS,
    FRESH4_LANGS,
    LATIN_LANGS,
    fresh4_error_content,
    fresh4_formats_of,
    fresh4_negative_content,
    fresh4_ordinary_line,
    pick_fresh4_lang,
)
from testkit.synth.fresh_screens import SEVEN_SEGMENT_CHARS
from testkit.synth.open_text import ScreenContent, ScreenLine

FRESH4 = "fresh4"  # the generator's name in the manifest (labels carry split "fresh": hidden like the fresh split)

_TT, _OT = "/usr/share/fonts/truetype/", "/usr/share/fonts/opentype/"
FRESH4_FONT_FILES: dict[str, tuple[str, int]] = {
    # Faces no other split uses.
    "hack-bold": (_TT + "hack/Hack-Bold.ttf", 0),
    "hack-italic": (_TT + "hack/Hack-Italic.ttf", 0),
    "cantarell-extrabold": (_OT + "cantarell/Cantarell-ExtraBold.otf", 0),
    "cantarell-light": (_OT + "cantarell/Cantarell-Light.otf", 0),
    "nimbus-narrow-regular": (_OT + "urw-base35/NimbusSansNarrow-Regular.otf", 0),
    "bookman-demi": (_OT + "urw-base35/URWBookman-Demi.otf", 0),
    "p052-bold": (_OT + "urw-base35/P052-Bold.otf", 0),
    "dejavu-serif-bold": (_TT + "dejavu/DejaVuSerif-Bold.ttf", 0),
    "dejavu-oblique": (_TT + "dejavu/DejaVuSans-Oblique.ttf", 0),
    "lato-medium-italic": (_TT + "lato/Lato-MediumItalic.ttf", 0),
    "liberation-sans-italic": (_TT + "liberation2/LiberationSans-Italic.ttf", 0),
    "noto-sans-italic": (_TT + "noto/NotoSans-Italic.ttf", 0),
    "dseg7-classic-regular": (_TT + "dseg/DSEG7Classic-Regular.ttf", 0),
    "dseg7-modern-regular": (_TT + "dseg/DSEG7Modern-Regular.ttf", 0),
    "dseg14-modern-italic": (_TT + "dseg/DSEG14Modern-Italic.ttf", 0),
    "dseg14-classic-regular": (_TT + "dseg/DSEG14Classic-Regular.ttf", 0),
    # Scripts the Latin faces lack.
    "georgian-sans": (_TT + "noto/NotoSansGeorgian-Regular.ttf", 0),
    "georgian-bold": (_TT + "noto/NotoSansGeorgian-Bold.ttf", 0),
    "armenian-sans": (_TT + "noto/NotoSansArmenian-Regular.ttf", 0),
    "armenian-bold": (_TT + "noto/NotoSansArmenian-Bold.ttf", 0),
    "gujarati-sans": (_TT + "noto/NotoSansGujarati-Regular.ttf", 0),
    "gujarati-bold": (_TT + "noto/NotoSansGujarati-Bold.ttf", 0),
}
SEGMENT7 = ("dseg7-classic-regular", "dseg7-modern-regular")
SEGMENT14 = ("dseg14-modern-italic", "dseg14-classic-regular")
_UI = ("hack-bold", "cantarell-extrabold", "cantarell-light", "nimbus-narrow-regular", "dejavu-oblique",
       "lato-medium-italic", "liberation-sans-italic", "noto-sans-italic")
_PRINT = ("bookman-demi", "p052-bold", "dejavu-serif-bold", "nimbus-narrow-regular", "cantarell-extrabold")
NEW_LAYOUTS = ("hmi", "iconpanel", "servicetool")
LAYOUT_FACES: dict[str, tuple[str, ...]] = {
    "charlcd": FRESH3_LAYOUT_FACES["charlcd"], "vfd": FRESH3_LAYOUT_FACES["vfd"],
    "ledmatrix": FRESH3_LAYOUT_FACES["ledmatrix"], "oled": FRESH3_LAYOUT_FACES["oled"],
    "hmi": _UI, "iconpanel": _PRINT, "servicetool": _UI + ("hack-italic",),
}
FRESH4_LAYOUTS = tuple(LAYOUT_FACES)
CELL_LAYOUTS = frozenset({"charlcd", "vfd", "ledmatrix"})  # character ROMs: unaccented Latin only
KIND_LAYOUTS: dict[str, tuple[str, ...]] = {
    "chiller": ("hmi", "servicetool", "charlcd"), "ice": ("iconpanel", "charlcd", "hmi"),
    "pellet": ("iconpanel", "ledmatrix", "hmi"), "treadmill": ("iconpanel", "ledmatrix", "hmi"),
    "glucose": ("iconpanel", "oled"), "robot": ("hmi", "oled"), "oven": ("hmi", "vfd", "iconpanel"),
    "laser": ("servicetool", "oled", "charlcd"), "aerial": ("iconpanel", "charlcd", "ledmatrix"),
    "fuel": ("iconpanel", "vfd", "servicetool"), "sterilizer": ("charlcd", "hmi", "vfd"),
    "reefer": ("charlcd", "servicetool", "vfd"),
}
DEVICE_TITLES: dict[str, str] = {  # the maker's product or tool name on the screen (not translated)
    "chiller": "ChillView", "ice": "IceLogic", "pellet": "PelletTouch", "treadmill": "CardioPro", "glucose": "GlucoCheck",
    "robot": "RoboHome", "oven": "CombiCook", "laser": "LaserWorks", "aerial": "LiftDiag", "fuel": "FuelSite",
    "sterilizer": "SteriTrack", "reefer": "ReeferMan",
}

_THEMES: dict[str, tuple[tuple[Colour, Colour], ...]] = {  # (text or lit, ground)
    "charlcd": (((40, 58, 12), (162, 198, 44)), ((236, 244, 255), (34, 62, 214)), ((40, 24, 0), (250, 176, 40))),
    "vfd": (((120, 255, 215), (8, 14, 16)), ((150, 255, 160), (6, 12, 8))),
    "ledmatrix": (((255, 48, 24), (10, 6, 6)), ((255, 172, 0), (12, 9, 4))),
    "oled": (((236, 240, 255), (0, 0, 0)), ((90, 190, 255), (0, 0, 0)), ((90, 200, 255), (1, 1, 1))),
    "hmi": (((30, 34, 40), (232, 236, 240)), ((226, 232, 238), (28, 34, 44)), ((220, 240, 230), (16, 40, 36))),
    "iconpanel": (((40, 20, 10), (150, 170, 140)), ((255, 70, 40), (14, 8, 8)), ((120, 220, 255), (8, 14, 24)),
                  ((255, 190, 60), (20, 14, 6))),  # segment window: lit segments, window ground
    "servicetool": (((28, 30, 34), (250, 250, 252)), ((214, 218, 226), (36, 38, 46))),
}
_ACCENTS: tuple[Colour, ...] = ((200, 40, 40), (226, 110, 10), (10, 110, 190), (20, 140, 90), (120, 60, 160))
_PANELS: tuple[Colour, ...] = ((46, 48, 52), (226, 228, 224), (30, 60, 110), (190, 196, 200), (120, 20, 24))


@dataclass(frozen=True, slots=True)
class Fresh4Style:
    """How a fresh4 screen looks (the same fields as fresh3's style, whose renderers it reuses)."""

    layout: str  # one of FRESH4_LAYOUTS
    font: str  # key of FRESH4_FONT_FILES, or of fresh3's faces on the reused layouts
    fg: Colour
    bg: Colour
    accent: Colour
    variant: str  # hmi "banner"/"list"/"popup", iconpanel panel colour index, servicetool "left"/"right" ...
    tilt: float  # degrees the laptop is turned away from the camera (servicetool)
    dark: bool  # light text on a dark ground


@dataclass(frozen=True, slots=True)
class Fresh4ClipSpec:
    """One clip of the fresh4 split: what the screen shows, how it looks, how it is filmed and encoded."""

    index: int
    family: str
    format: str
    content: ScreenContent
    shown: str  # how the code line writes the code ("" on negatives)
    style: Fresh4Style
    screen_size: tuple[int, int]
    size: tuple[int, int]
    codec: str
    kbps: int
    seed: int
    screen_seed: int


def langs_for(layout: str) -> frozenset[str]:
    """The languages a screen kind can show: a character ROM unaccented Latin, an OLED's bitmap faces Latin, Georgian
    and Armenian (no shaping for Gujarati), the others any."""
    if layout in CELL_LAYOUTS:
        return LATIN_LANGS
    return LATIN_LANGS | {"ka", "hy"} if layout == "oled" else frozenset(FRESH4_LANGS)


def layouts_for_format(fmt: FamilyFormat) -> tuple[str, ...]:
    """The screen kinds a code of this format appears on (the icon panel's window only for what segments draw)."""
    return tuple(o for o in KIND_LAYOUTS[fmt.kind] if o != "iconpanel" or fmt.segment)


def random_fresh4_style(rng: np.random.Generator, layout: str, code: str) -> Fresh4Style:
    """Face, theme, variant and tilt for a layout (segment faces only for what their segments draw)."""
    faces = LAYOUT_FACES[layout]
    if layout == "iconpanel":
        faces = SEGMENT7 if set(code) <= SEVEN_SEGMENT_CHARS else SEGMENT14
    font = faces[int(rng.integers(len(faces)))]
    themes = _THEMES[layout]
    fg, bg = themes[int(rng.integers(len(themes)))]
    accent = _ACCENTS[int(rng.integers(len(_ACCENTS)))]
    variants = {"charlcd": ("16x2", "20x4", "20x4"), "vfd": ("20x2", "20x4"), "ledmatrix": ("2row",), "oled": ("mono",),
                "hmi": ("banner", "list", "popup"), "iconpanel": tuple(str(i) for i in range(len(_PANELS))),
                "servicetool": ("left", "right")}[layout]
    variant = variants[int(rng.integers(len(variants)))]
    tilt = float(rng.uniform(14, 30)) if layout == "servicetool" else float(rng.uniform(-3, 3)) if layout == "iconpanel" else 0.0
    return Fresh4Style(layout, font, fg, bg, accent, variant, tilt, sum(bg) < sum(fg))


def fresh4_screen_size(layout: str, rng: np.random.Generator) -> tuple[int, int]:
    """Native pixel size of a screen of this layout (the service tool includes the laptop and the desk around it)."""
    if layout in ("charlcd", "vfd"):
        return int(rng.integers(620, 780)), int(rng.integers(250, 330))
    if layout == "ledmatrix":
        return int(rng.integers(760, 940)), int(rng.integers(220, 290))
    if layout == "oled":
        return int(rng.integers(560, 700)), int(rng.integers(320, 400))
    if layout == "iconpanel":
        return int(rng.integers(820, 1000)), int(rng.integers(380, 480))
    if layout == "hmi":
        return int(rng.integers(900, 1100)), int(rng.integers(540, 640))
    return int(rng.integers(1280, 1440)), int(rng.integers(800, 900))  # servicetool


_font = font_loader(FRESH4_FONT_FILES)

# --- text: scripts and faces --------------------------------------------------------------------------------------

_SCRIPTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"[\u10a0-\u10ff]"), "georgian"), (re.compile(r"[\u0530-\u058f]"), "armenian"),
    (re.compile(r"[\u0a80-\u0aff]"), "gujarati"))
_BOLD = frozenset({"hack-bold", "cantarell-extrabold", "bookman-demi", "p052-bold", "dejavu-serif-bold"})


def _script_of(char: str) -> str:
    return next((name for pattern, name in _SCRIPTS if pattern.match(char)), "")


@lru_cache(maxsize=4096)
def _covers(face: str, text: str) -> bool:
    """Whether the face has a glyph for every character of the text (a missing glyph draws as a private-use one)."""
    font = _font(face, 24)
    missing = bytes(font.getmask("\ue000"))
    return all(c.isspace() or bytes(font.getmask(c)) != missing for c in set(text))


def _runs(text: str) -> list[str]:
    """The text cut into runs of one script (spaces stay with the run they are in)."""
    runs: list[str] = []
    current, script = "", None
    for c in text:
        s = script if c == " " and script is not None else _script_of(c)
        if script is not None and s != script:
            runs.append(current)
            current = ""
        current, script = current + c, s
    return [*runs, current] if current else runs


def _face_for(run: str, base: str) -> str:
    script = _script_of(next((c for c in run if not c.isspace()), " "))
    if script:
        return f"{script}-{'bold' if base in _BOLD else 'sans'}"
    return base if _covers(base, run) else "dejavu-oblique"


def draw_text(draw: ImageDraw.ImageDraw, xy: tuple[float, float], text: str, shown: str | None, face: str, px: int,
              fill: Colour | int, measure: bool = False) -> tuple[float, tuple[float, float] | None]:
    """Draw a line from xy in script runs; returns where it ends and the code's x span (None without the code)."""
    x, y = xy
    span = None
    if shown and shown in text:
        before, _, after = text.partition(shown)
        parts = [(before, False), (shown, True), (after, False)]
    else:
        parts = [(text, False)]
    for part, is_code in parts:
        for run in ([part] if is_code else _runs(part)):
            if not run:
                continue
            font = _font(_face_for(run, face), max(6, px))
            if not measure:
                draw.text((x, y), run, font=font, fill=fill)
            w = draw.textlength(run, font=font)
            if is_code:
                span = (x, x + w)
            x += w
    return x, span


_PROBE = ImageDraw.Draw(Image.new("L", (4, 4)))


def text_width(text: str, face: str, px: int) -> float:
    """Width of a line drawn by draw_text."""
    return draw_text(_PROBE, (0, 0), text, None, face, px, 0, measure=True)[0]


def _fit(text: str, face: str, px: int, width: float) -> int:
    """The largest size up to px at which the text fits the width."""
    while px > 8 and text_width(text, face, px) > width:
        px -= 1
    return px


def _mix(a: Colour, b: Colour, t: float) -> Colour:
    return (int(a[0] * (1 - t) + b[0] * t), int(a[1] * (1 - t) + b[1] * t), int(a[2] * (1 - t) + b[2] * t))


def _more_numbers(content: ScreenContent, n: int, rng: np.random.Generator) -> list[ScreenLine]:
    """Further ordinary-number rows of the device, none repeating the label of a row already shown."""
    labels = {ln.text.split()[0] for ln in content.lines if ln.text.split()}
    out: list[ScreenLine] = []
    for _ in range(n * 3):
        text = fresh4_ordinary_line(content.kind, rng)
        if text.split()[0] not in labels and len(out) < n:
            labels.add(text.split()[0])
            out.append(ScreenLine(text, "number"))
    return out


def _code_line(content: ScreenContent) -> ScreenLine | None:
    return next((ln for ln in content.lines if ln.role == "code"), None)


# --- touch HMI ------------------------------------------------------------------------------------------------------

def _hmi(content: ScreenContent, shown: str, style: Fresh4Style, size: tuple[int, int], rng: np.random.Generator
         ) -> tuple[Image.Image, Box | None]:
    """A touch HMI of a commercial machine: title bar, icon buttons down the left, tiles of readings, soft buttons;
    the code in the alarm banner, in one row of an alarm list, or in a pop-up over the tiles."""
    w, h = size
    img = Image.new("RGB", (w, h), style.bg)
    d = ImageDraw.Draw(img)
    base = int(h * 0.045)
    face = style.font
    panel = _mix(style.bg, style.fg, 0.08)
    d.rectangle([0, 0, w, base * 2], fill=_mix(style.bg, style.fg, 0.16))
    draw_text(d, (base * 0.6, base * 0.4), DEVICE_TITLES[content.kind], None, face, int(base * 1.05), style.fg)
    clock = f"{int(rng.integers(0, 24)):02d}:{int(rng.integers(0, 60)):02d}"
    draw_text(d, (w - base * 4.2, base * 0.45), clock, None, face, base, style.fg)
    bell = (w - base * 6, base * 0.5)
    d.pieslice([bell[0], bell[1], bell[0] + base, bell[1] + base * 1.4], 180, 360,
               fill=style.accent if content.code else panel)
    nav = int(base * 2.6)
    for i in range(5):  # icon buttons: home, trend, settings, alarms, help (shapes only)
        y0 = base * 2.6 + i * nav * 1.1
        d.rounded_rectangle([base * 0.4, y0, base * 0.4 + nav, y0 + nav], radius=base // 2, fill=panel)
        cx, cy, r = base * 0.4 + nav / 2, y0 + nav / 2, nav * 0.25
        if i % 2:
            d.rectangle([cx - r, cy - r, cx + r, cy + r], outline=style.fg, width=2)
        else:
            d.regular_polygon((cx, cy, r), 3 + i, outline=style.fg, width=2)
    left, top, right = base * 1.2 + nav, base * 2.6, w - base * 0.6
    numbers = [ln for ln in content.lines if ln.role == "number"] + _more_numbers(content, 6, rng)
    words = [ln for ln in content.lines if ln.role in ("title", "text")]
    box: Box | None = None
    code = _code_line(content)
    variant = style.variant if content.code else "banner"
    y = top
    if variant == "banner" and code is not None:
        bh = base * 2.4
        d.rectangle([left, y, right, y + bh], fill=style.accent)
        px = _fit(code.text, face, int(base * 1.3), right - left - base * 2)
        _, span = draw_text(d, (left + base, y + (bh - px * 1.2) / 2), code.text, shown, face, px, (255, 255, 255))
        box = None if span is None else (span[0], y + (bh - px * 1.2) / 2, span[1], y + (bh + px * 1.1) / 2)
        y += bh + base * 0.5
    elif variant == "list" and code is not None:  # the alarm list: older rows above, the active one highlighted
        rows = [ScreenLine(f"{_stamp(rng)}  {ln.text}", "number") for ln in numbers[:2]]
        active = len(rows)
        rows.append(ScreenLine(f"{_stamp(rng)}  {code.text}", "code"))
        rh = base * 1.7
        for i, ln in enumerate(rows):
            if i == active:
                d.rectangle([left, y, right, y + rh], fill=_mix(style.bg, style.accent, 0.45))
            px = _fit(ln.text, face, base, right - left - base)
            _, span = draw_text(d, (left + base * 0.4, y + (rh - px * 1.2) / 2), ln.text, shown if i == active else None,
                                face, px, style.fg)
            if span:
                box = (span[0], y + (rh - px * 1.2) / 2, span[1], y + (rh + px * 1.1) / 2)
            y += rh
        numbers = numbers[2:]
        y += base * 0.5
    else:
        title = words[0].text if words else ""
        draw_text(d, (left, y), title, None, face, int(base * 1.1), style.fg)
        y += base * 2
    for ln in words[(0 if variant != "popup" else 1):][:2]:
        px = _fit(ln.text, face, base, right - left)
        draw_text(d, (left, y), ln.text, None, face, px, style.fg)
        y += base * 1.5
    cols = 3
    tw = (right - left - base * (cols - 1)) / cols
    th = base * 2.8
    tiles = list({ln.text.split()[0]: ln for ln in reversed(numbers)}.values())[::-1]  # one tile per reading
    for i, ln in enumerate(tiles[:6]):
        tx, ty = left + (i % cols) * (tw + base), y + base * 0.3 + (i // cols) * (th + base * 0.5)
        if ty + th > h - base * 3.2:
            break
        d.rounded_rectangle([tx, ty, tx + tw, ty + th], radius=base // 2, fill=panel)
        label, _, value = ln.text.partition(" ")
        if any(c.isdigit() for c in label):  # a reading without a name of its own ("79 min")
            label, value = "", ln.text
        draw_text(d, (tx + base * 0.4, ty + base * 0.3), label, None, face, int(base * 0.8), _mix(style.fg, style.bg, 0.3))
        px = _fit(value or label, face, int(base * 1.2), tw - base * 0.8)
        draw_text(d, (tx + base * 0.4, ty + base * 1.3), value or label, None, face, px, style.fg)
    for i, label in enumerate(("ACK", "RESET", "MENU")):  # soft buttons along the bottom
        bx = left + i * (right - left) / 3
        d.rounded_rectangle([bx + base * 0.3, h - base * 2.6, bx + (right - left) / 3 - base * 0.3, h - base * 0.6],
                            radius=base // 2, fill=_mix(style.bg, style.accent, 0.25), outline=style.fg, width=1)
        draw_text(d, (bx + base * 1.2, h - base * 2.2), label, None, face, base, style.fg)
    if variant == "popup" and code is not None:  # a modal dialog over the tiles, with its own OK button
        pw, ph = w * 0.56, h * 0.42
        px0, py0 = (w - pw) / 2 + base, (h - ph) / 2
        d.rectangle([px0 + 8, py0 + 8, px0 + pw + 8, py0 + ph + 8], fill=_mix(style.bg, (0, 0, 0), 0.5))
        d.rectangle([px0, py0, px0 + pw, py0 + ph], fill=style.bg, outline=style.accent, width=4)
        d.regular_polygon((px0 + base * 1.6, py0 + base * 1.8, base), 3, fill=style.accent)
        yy = py0 + base * 0.8
        msg = words[0].text if words else ""
        draw_text(d, (px0 + base * 3, yy), msg, None, face, _fit(msg, face, base, pw - base * 4), style.fg)
        yy += base * 2
        pxc = _fit(code.text, face, int(base * 1.4), pw - base * 4)
        _, span = draw_text(d, (px0 + base * 3, yy), code.text, shown, face, pxc, style.fg)
        box = None if span is None else (span[0], yy, span[1], yy + pxc * 1.2)
        d.rounded_rectangle([px0 + pw - base * 5, py0 + ph - base * 2.6, px0 + pw - base, py0 + ph - base * 0.6],
                            radius=base // 2, fill=style.accent)
        draw_text(d, (px0 + pw - base * 3.6, py0 + ph - base * 2.3), "OK", None, face, base, (255, 255, 255))
    return img, box


def _stamp(rng: np.random.Generator) -> str:
    return f"{int(rng.integers(1, 29)):02d}.{int(rng.integers(1, 13)):02d} {int(rng.integers(0, 24)):02d}:" \
           f"{int(rng.integers(0, 60)):02d}"


# --- backlit icon panel ---------------------------------------------------------------------------------------------

def _iconpanel(content: ScreenContent, shown: str, style: Fresh4Style, size: tuple[int, int],
               rng: np.random.Generator) -> tuple[Image.Image, Box | None]:
    """A membrane control panel: printed icons with small LEDs, buttons, the maker's name, and a small segment window
    with the code (or a reading) in it, unlit segments showing; the caption printed above the window."""
    w, h = size
    body = _PANELS[int(style.variant)]
    ink = (235, 235, 230) if sum(body) < 380 else (40, 40, 44)
    img = Image.new("RGB", (w, h), body)
    d = ImageDraw.Draw(img)
    gloss = np.linspace(1.06, 0.92, h, dtype=np.float32)[:, None, None]  # the film's sheen, top to bottom
    base = int(h * 0.06)
    label_face = "nimbus-narrow-regular"
    draw_text(d, (w * 0.04, h * 0.05), DEVICE_TITLES[content.kind], None, "cantarell-extrabold", int(base * 1.1), ink)
    main = content.code or _reading(content)
    ww = w * rng.uniform(0.3, 0.42)  # the window: small on a busy panel
    wx = w * rng.uniform(0.3, 0.95) - ww if rng.random() < 0.5 else w * rng.uniform(0.05, 0.2)
    wx = float(np.clip(wx, w * 0.04, w * 0.96 - ww))
    wh = h * 0.34
    wy = h * 0.3
    d.rounded_rectangle([wx - 6, wy - 6, wx + ww + 6, wy + wh + 6], radius=8, fill=_mix(body, (0, 0, 0), 0.5))
    d.rectangle([wx, wy, wx + ww, wy + wh], fill=style.bg)
    px = int(min(wh * 0.62, ww * 0.85 / max(len(main), 2) / 0.78))
    font = _font(style.font, px)
    tw = d.textlength(main, font=font)
    tx, ty = wx + (ww - tw) / 2, wy + (wh - px) / 2
    ghost = "".join(" " if c == " " else ("~" if style.font in SEGMENT14 else "8") for c in main)
    if not any(c in main for c in ".:"):
        d.text((tx, ty), ghost, font=font, fill=_mix(style.bg, style.fg, 0.12))
    d.text((tx, ty), main, font=font, fill=style.fg)
    box = (tx, ty, tx + tw, ty + px * 1.05) if content.code else None
    code = _code_line(content)
    caption = code.text.replace(shown, "").strip(" :–") if code is not None and content.code else ""
    if caption:
        cpx = _fit(caption, label_face, int(base * 0.9), ww)
        draw_text(d, (wx, wy - cpx * 1.6), caption, None, label_face, cpx, ink)
    # Icons with LEDs beside them (one lit red on an error), buttons with printed symbols.
    zone = (w * 0.05, w * 0.95)
    icons = [(zone[0] + i * (zone[1] - zone[0]) / 7, h * 0.8) for i in range(7)]
    for i, (ix, iy) in enumerate(icons):
        r = base * 0.6
        shape = i % 4
        if shape == 0:
            d.ellipse([ix, iy, ix + 2 * r, iy + 2 * r], outline=ink, width=3)
        elif shape == 1:
            d.regular_polygon((ix + r, iy + r, r), 3, outline=ink, width=3)
        elif shape == 2:
            d.rounded_rectangle([ix, iy, ix + 2 * r, iy + 2 * r], radius=4, outline=ink, width=3)
        else:
            d.polygon([(ix + r, iy), (ix + 2 * r, iy + 2 * r), (ix, iy + 2 * r)], fill=ink)
        lit = content.code and i == 1 or (not content.code and i == 0)
        d.ellipse([ix + 2.6 * r, iy + 0.6 * r, ix + 3.4 * r, iy + 1.4 * r],
                  fill=((255, 40, 30) if content.code else (60, 230, 80)) if lit else _mix(body, (0, 0, 0), 0.35))
    others = [ln for ln in content.lines if ln.role == "number"][:1] + _more_numbers(content, 1, rng)
    side = wx + ww + w * 0.05 if wx < w * 0.5 else w * 0.05
    source = next((ln for ln in others if _reading(ScreenContent((ln,), "", (), content.lang, content.kind)) != "--"),
                  None)
    reading = _reading(ScreenContent((source,), "", (), content.lang, content.kind)) if source else "--"
    if reading != "--" and reading != main:  # a second, smaller window with an ordinary reading and its name
        small = int(px * 0.5)
        sfont = _font(SEGMENT7[0], small)
        sw = d.textlength(reading, font=sfont) + small
        if side + sw < w * 0.97:
            d.rectangle([side, wy + wh * 0.2, side + sw, wy + wh * 0.2 + small * 1.6], fill=style.bg)
            d.text((side + small / 2, wy + wh * 0.2 + small * 0.3), reading, font=sfont, fill=style.fg)
            label = next((t for t in source.text.split() if not any(c.isdigit() for c in t)), "") if source else ""
            draw_text(d, (side, wy + wh * 0.2 + small * 1.9), label, None, label_face, int(base * 0.7), ink)
    for i, sym in enumerate(("-", "+", "OK")):
        bx = w * 0.62 + i * w * 0.11
        d.rounded_rectangle([bx, h * 0.06, bx + w * 0.09, h * 0.2], radius=10, fill=_mix(body, ink, 0.15),
                            outline=_mix(body, ink, 0.5), width=2)
        draw_text(d, (bx + w * 0.03, h * 0.08), sym, None, label_face, int(base * 0.9), ink)
    arr = np.asarray(img, np.float32) * gloss + rng.normal(0, 2.5, (h, w, 1)).astype(np.float32)
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8)), box


def _reading(content: ScreenContent) -> str:
    """What a window without an error shows: the first short number of the lines."""
    for ln in content.lines:
        for token in ln.text.split():
            core = token.strip("%,°C")
            if core and set(core) <= set("0123456789.") and len(core) <= 5:
                return core
    return "--"


# --- laptop with a service tool, photographed at an angle ---------------------------------------------------------

def _tool_window(content: ScreenContent, shown: str, style: Fresh4Style, size: tuple[int, int],
                 rng: np.random.Generator) -> tuple[Image.Image, Box | None]:
    """The service tool's window: title bar, menu, a tree of modules, a fault table with the code in one row, a
    parameter list of ordinary numbers, a status bar."""
    w, h = size
    img = Image.new("RGB", (w, h), _mix(style.bg, style.fg, 0.05))
    d = ImageDraw.Draw(img)
    face = style.font
    base = int(h * 0.036)
    d.rectangle([0, 0, w, base * 1.8], fill=style.accent)
    draw_text(d, (base * 0.6, base * 0.35), f"{DEVICE_TITLES[content.kind]} Service Tool {int(rng.integers(2, 9))}."
              f"{int(rng.integers(0, 20))}", None, face, base, (255, 255, 255))
    for i in range(3):
        d.rectangle([w - base * (1.6 + 1.8 * i), base * 0.4, w - base * (0.6 + 1.8 * i), base * 1.4], outline=(255, 255, 255))
    draw_text(d, (base * 0.6, base * 2.1), "File   Edit   View   Device   Tools   Help", None, face, int(base * 0.85),
              style.fg)
    top = base * 3.4
    tree_w = w * 0.22
    d.rectangle([0, top, tree_w, h - base * 1.6], fill=style.bg)
    for i, item in enumerate(("Unit", "  Controller", "  Inputs", "  Outputs", "  Faults", "  Log", "  Settings")):
        draw_text(d, (base * 0.5, top + base * (0.5 + 1.5 * i)), item, None, face, int(base * 0.9), style.fg)
    x0, x1 = tree_w + base, w - base
    d.rectangle([tree_w + base * 0.5, top, w - base * 0.5, h - base * 1.6], fill=style.bg)
    y = top + base * 0.5
    heading = next((ln.text for ln in content.lines if ln.role == "title"), "")
    draw_text(d, (x0, y), heading or DEVICE_TITLES[content.kind], None, face, int(base * 1.1), style.fg)
    y += base * 1.9
    d.rectangle([x0, y, x1, y + base * 1.5], fill=_mix(style.bg, style.fg, 0.12))
    for label, fx in (("#", 0.0), ("Time", 0.05), ("Entry", 0.28), ("Count", 0.88)):
        draw_text(d, (x0 + (x1 - x0) * fx + base * 0.3, y + base * 0.25), label, None, face, int(base * 0.85), style.fg)
    y += base * 1.7
    box: Box | None = None
    rows = [ln for ln in content.lines if ln.role in ("code", "text")]
    for i, ln in enumerate(rows):
        if ln.role == "code":
            d.rectangle([x0, y - base * 0.15, x1, y + base * 1.35], fill=_mix(style.bg, style.accent, 0.2))
        cells = ((f"{i + 1}", 0.0), (_stamp(rng), 0.05), (ln.text, 0.28), (str(int(rng.integers(1, 40))), 0.88))
        for text, fx in cells:
            cx = x0 + (x1 - x0) * fx + base * 0.3
            px = _fit(text, face, int(base * 0.9), (x1 - x0) * 0.58) if fx == 0.28 else int(base * 0.9)
            _, span = draw_text(d, (cx, y), text, shown if ln.role == "code" and fx == 0.28 else None, face, px, style.fg)
            if span:
                box = (span[0], y, span[1], y + px * 1.2)
        y += base * 1.5
    y += base
    draw_text(d, (x0, y), "Parameters", None, face, int(base * 1.0), style.fg)
    y += base * 1.7
    params = [ln for ln in content.lines if ln.role == "number"] + _more_numbers(content, 6, rng)
    for ln in params:
        if y > h - base * 3.4:
            break
        draw_text(d, (x0 + base * 0.3, y), ln.text, None, face, int(base * 0.9), style.fg)
        d.line([(x0, y + base * 1.3), (x1, y + base * 1.3)], fill=_mix(style.bg, style.fg, 0.15))
        y += base * 1.45
    d.rectangle([0, h - base * 1.6, w, h], fill=_mix(style.bg, style.fg, 0.1))
    draw_text(d, (base * 0.6, h - base * 1.35), f"Connected  COM{int(rng.integers(1, 9))}  "
              f"{int(rng.choice([9600, 19200, 57600, 115200]))} baud", None, face, int(base * 0.8), style.fg)
    return img, box


def _servicetool(content: ScreenContent, shown: str, style: Fresh4Style, size: tuple[int, int],
                 rng: np.random.Generator) -> tuple[Image.Image, Box | None]:
    """A laptop on a desk running the maker's service tool, photographed from one side: the lid turned away from
    the camera (its far edge shorter), the keyboard deck below, the desk around."""
    w, h = size
    desk = np.empty((h, w, 3), np.float32)
    tone = np.array(rng.integers(90, 180, 3), np.float32)
    desk[:] = tone * np.linspace(1.0, 0.75, h, dtype=np.float32)[:, None, None]
    desk += rng.normal(0, 3, (h, w, 1)).astype(np.float32)
    sw, sh = int(w * 0.78), int(h * 0.66)
    window, box = _tool_window(content, shown, style, (sw, sh), rng)
    bezel = int(sw * 0.03)
    lid = Image.new("RGB", (sw + 2 * bezel, sh + 2 * bezel), (22, 22, 24))
    lid.paste(window, (bezel, bezel))
    lid_arr = np.asarray(lid, np.float32)
    lw, lh = lid.size
    shrink = np.sin(np.deg2rad(style.tilt)) * 0.45  # how much shorter the far edge looks
    far_left = style.variant == "left"
    cx0, cy0 = w * 0.1, h * 0.1  # the lid's top well inside the photo: filming crops the edges
    width = w * 0.8 * (1 - 0.3 * shrink)
    height = h * 0.66
    near, far = height, height * (1 - shrink)
    if far_left:
        quad = [(cx0, cy0 + (near - far) / 2), (cx0 + width, cy0), (cx0 + width, cy0 + near),
                (cx0, cy0 + (near + far) / 2)]
    else:
        quad = [(cx0, cy0), (cx0 + width, cy0 + (near - far) / 2), (cx0 + width, cy0 + (near + far) / 2),
                (cx0, cy0 + near)]
    src = np.array([[0, 0], [lw - 1, 0], [lw - 1, lh - 1], [0, lh - 1]], np.float32)
    m = cv2.getPerspectiveTransform(src, np.array(quad, np.float32))
    warped = cv2.warpPerspective(lid_arr, m, (w, h), flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.ones((lh, lw), np.float32), m, (w, h))[..., None]
    deck = np.array([[quad[3][0], quad[3][1]], [quad[2][0], quad[2][1]], [quad[2][0] + w * 0.06, h * 0.98],
                     [quad[3][0] - w * 0.06, h * 0.98]], np.int32)
    cv2.fillPoly(desk, [deck], (70.0, 72.0, 76.0))
    for k in range(4):  # rows of keys as darker bands on the deck
        yk = quad[3][1] + (h * 0.98 - quad[3][1]) * (0.2 + 0.18 * k)
        cv2.line(desk, (int(quad[3][0] + 20), int(yk)), (int(quad[2][0] - 20), int(yk)), (40.0, 40.0, 44.0), 6)
    out = desk * (1 - mask) + warped * mask
    if box is not None:
        pts = np.array([[box[0] + bezel, box[1] + bezel], [box[2] + bezel, box[1] + bezel],
                        [box[2] + bezel, box[3] + bezel], [box[0] + bezel, box[3] + bezel]], np.float32)
        mapped = cv2.perspectiveTransform(pts[None], m)[0]
        box = (float(mapped[:, 0].min()), float(mapped[:, 1].min()), float(mapped[:, 0].max()),
               float(mapped[:, 1].max()))
    return Image.fromarray(np.clip(out, 0, 255).astype(np.uint8)), box


# --- rendering and plans --------------------------------------------------------------------------------------------

def render_fresh4_screen(content: ScreenContent, shown: str, style: Fresh4Style, size: tuple[int, int],
                         rng: np.random.Generator) -> tuple[np.ndarray, Box | None]:
    """A flat fresh4 screen (BGR uint8 of size (width, height)) and the code's box on it (None without a code)."""
    if style.layout in CELL_LAYOUTS or style.layout == "oled":  # fresh3's character and pixel displays
        as3 = Fresh3Style(**asdict(style))
        pil, box = (_cell_display if style.layout != "oled" else _oled)(content, shown, as3, size, rng)
    else:
        pil, box = {"hmi": _hmi, "iconpanel": _iconpanel, "servicetool": _servicetool}[style.layout](
            content, shown, style, size, rng)
    if pil.size != size:
        pil = pil.resize(size)
    return cv2.cvtColor(np.asarray(pil), cv2.COLOR_RGB2BGR), (box if content.code else None)


def _pick_layout(options: tuple[str, ...], rng: np.random.Generator) -> str:
    return options[int(rng.integers(len(options)))]


def plan_fresh4(families: list[str], seed: int, per_format: int, negatives: int,
                sizes: tuple[tuple[int, int], ...]) -> list[Fresh4ClipSpec]:
    """Every clip of a fresh4 set (deterministic per seed): per_format screens of each format, then negatives of the
    same kinds of device; each screen filmed once at every size, VP8 as browsers send it."""
    rng = np.random.default_rng(seed)
    screens: list[PlannedScreen] = []
    formats = fresh4_formats_of(families)
    for fmt in formats:
        for _ in range(per_format):
            distractors = int(rng.choice([1, 2, 3], p=[0.3, 0.4, 0.3]))
            layout = _pick_layout(layouts_for_format(fmt), rng)  # the screen kind first, then a language it shows
            content, shown = fresh4_error_content(fmt, rng, pick_fresh4_lang(rng, langs_for(layout)), distractors)
            screens.append(PlannedScreen(fmt.family, fmt.name, content, shown, layout))
    kinds = sorted({f.kind for f in formats}) or list(FRESH4_KINDS)
    for i in range(negatives):
        kind = kinds[i % len(kinds)]
        layout = _pick_layout(KIND_LAYOUTS[kind], rng)
        content = fresh4_negative_content(rng, pick_fresh4_lang(rng, langs_for(layout)), kind)
        screens.append(PlannedScreen(NEGATIVE, NEGATIVE, content, "", layout))
    return film_plan(screens, sizes, rng, random_fresh4_style, fresh4_screen_size,
                     lambda f: Fresh4ClipSpec(f.index, f.screen.family, f.screen.format, f.screen.content, f.screen.shown,
                                              f.style, f.screen_size, f.size, "vp8", f.kbps, f.seed, f.screen_seed))


def fresh4_code_box(spec: Fresh4ClipSpec) -> list[float]:
    """Where the code is on the rendered screen, as shares of its width and height ([] without a code)."""
    screen, box = render_fresh4_screen(spec.content, spec.shown, spec.style, spec.screen_size,
                                       np.random.default_rng(spec.screen_seed))
    return relative_box(box, screen.shape)


def render_fresh4_clip(spec: Fresh4ClipSpec, fps: int, lead_in_s: float, screen_s: float) -> list[np.ndarray]:
    """BGR frames of the clip: the rendered screen filmed by a hand-held phone; the laptop scene fills the picture as
    a photo of it does, with no device bezel drawn around it."""
    screen, _ = render_fresh4_screen(spec.content, spec.shown, spec.style, spec.screen_size,
                                     np.random.default_rng(spec.screen_seed))
    if spec.style.layout != "servicetool":
        return film_rendered(screen, spec.size, fps, lead_in_s, screen_s, spec.seed)
    rng = np.random.default_rng(spec.seed)
    params = random_capture_params(rng, spec.size, screen.shape[1] / screen.shape[0])
    quad = params.quad
    span = quad.max(axis=0) - quad.min(axis=0)
    grow = max(spec.size[0] / span[0], spec.size[1] / span[1]) * 1.12  # corners stay out of the picture when turned
    centre = np.array(spec.size, np.float32) / 2
    filled = replace(params, quad=((quad - quad.mean(axis=0)) * grow + centre).astype(np.float32), bezel=0.0)
    return film_screen(screen, spec.size, fps, lead_in_s, screen_s, spec.seed, rng, filled)
