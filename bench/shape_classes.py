"""Per-frame recall and false codes on classes of code shapes the open sets missed (issue 10, third round).

Screens are drawn here (segment panels in DSEG fonts, Japanese dialogs, web admin pages, text LCDs, and screens
with ordinary numbers and no code), each filmed hand-held at 640x360 and 1280x720 (testkit/synth/capture.py) and read
by one FrameAnalyzer frame by frame (no multi-frame consensus). The classes were chosen from the misses of the
second round and the reader was tuned on these screens: the figures are tuning figures, not a test.

    python bench/shape_classes.py [--seeds 3] [--set FIELD=VALUE ...]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from dataclasses import dataclass, fields, replace
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from diagnostics.analyzer import FrameAnalyzer  # noqa: E402
from diagnostics.catalog import load_catalog  # noqa: E402
from diagnostics.config import DiagnosticsConfig  # noqa: E402
from diagnostics.known import KnownCodes  # noqa: E402
from diagnostics.ocr import TesserocrEngine  # noqa: E402
from testkit.synth.capture import random_capture_params, render_capture  # noqa: E402

DSEG = "/usr/share/fonts/truetype/dseg/"
CJK = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
LATIN = {"sans": "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
         "liberation": "/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf",
         "mono": "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"}
SIZES = ((640, 360), (1280, 720))


@dataclass(frozen=True)
class Case:
    """One drawn screen: its class, the code it shows ("" for none) and the BGR image."""

    kind: str
    code: str
    screen: np.ndarray


def _bgr(img: Image.Image) -> np.ndarray:
    return np.asarray(img)[:, :, ::-1].copy()


def segment_panel(text: str, font: str, px: int = 110) -> np.ndarray:
    """Lit segments over faint unlit ones on a dark panel."""
    face = ImageFont.truetype(DSEG + font + ".ttf", px)
    img = Image.new("RGB", (max(int(face.getlength(text)) + 160, 420), px * 2 + 40), (20, 28, 22))
    draw = ImageDraw.Draw(img)
    ghost = "~" if "14" in font else "8"
    draw.text((80, px // 2), ghost * len(text.replace(".", "").replace(":", "")), font=face, fill=(40, 55, 45))
    draw.text((80, px // 2), text, font=face, fill=(90, 250, 160))
    return _bgr(img)


def dialog(lines: list[str], font: str, px: int = 48, size: tuple[int, int] = (960, 600)) -> np.ndarray:
    """Dark text lines on a light dialog; a line starting with '!' is drawn larger."""
    img = Image.new("RGB", size, (245, 245, 245))
    draw = ImageDraw.Draw(img)
    y = 110
    for line in lines:
        big = line.startswith("!")
        draw.text((80, y), line.lstrip("!"), font=ImageFont.truetype(font, px + (16 if big else 0)), fill=(20, 20, 20))
        y += int((px + (16 if big else 0)) * 1.8)
    return _bgr(img)


def web_page(lines: list[str], font: str, px: int = 22) -> np.ndarray:
    """A printer's web admin page: a title bar and label/value rows; '!' marks the alert row (red, larger)."""
    img = Image.new("RGB", (1100, 650), (250, 250, 250))
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 0, 1100, 50), fill=(30, 60, 120))
    draw.text((20, 12), "Printer Web Admin", font=ImageFont.truetype(font, 24), fill=(255, 255, 255))
    y = 80
    for line in lines:
        alert = line.startswith("!")
        draw.text((40, y), line.lstrip("!"), font=ImageFont.truetype(font, px + (8 if alert else 0)),
                  fill=(200, 20, 20) if alert else (30, 30, 30))
        y += int(px * 1.9)
    return _bgr(img)


def lcd(lines: list[str], font: str = LATIN["mono"], px: int = 44) -> np.ndarray:
    """A green text LCD of two or three lines."""
    img = Image.new("RGB", (640, 240), (120, 210, 170))
    draw = ImageDraw.Draw(img)
    for i, line in enumerate(lines):
        draw.text((40, 30 + i * int(px * 1.5)), line, font=ImageFont.truetype(font, px), fill=(40, 40, 30))
    return _bgr(img)


def cases() -> list[Case]:
    """The screens of every class."""
    out: list[Case] = []
    for font in ("DSEG14Classic-Bold", "DSEG14Modern-Italic", "DSEG7Classic-Bold", "DSEG7Classic-Italic"):
        for code in ("F.E", "A.P", "L.H", "F.37", "E.5", "Er.05"):
            out.append(Case("segment code with a dot", code, segment_panel(code, font)))
        for code in ("PU", "HE", "CF", "dE"):
            out.append(Case("two-glyph segment code", code.upper(), segment_panel(code, font)))
        if "14" in font:
            for code in ("Err:21", "ALM 055"):
                out.append(Case("prefix and number on a segment panel", code.upper().replace(" ", ""),
                                segment_panel(code, font)))
    for title, message, code in (("エラーE14", "給水できません", "E14"), ("エラーコード：U4-01", "室外機の異常です", "U4-01"),
                                 ("エラー H07", "フィルターを確認してください", "H07"), ("異常 C-12", "電源を入れ直してください", "C-12")):
        out.append(Case("Japanese dialog", code, dialog([title, message], CJK, 56)))
    out.append(Case("Japanese dialog", "", dialog(["準備完了", "用紙サイズ A4 残り 120 枚"], CJK, 56)))
    for font in LATIN.values():
        for code, lines in (
                ("105-977", ["Device status: Error", "!Error 105-977", "Paper jam at registration", "Toner: 45%"]),
                ("016-720", ["Status", "!016-720 Call service", "Toner: 45%", "Last job 14:32"]),
                ("968.70", ["Alerts", "!Service error 968.70", "Contact your administrator", "Date 12.03.2025"]),
                ("307.68", ["Device information", "Status: Service required", "!Error code: 307.68", "Uptime 4 days"]),
        ):
            out.append(Case("web admin page", code, web_page(lines, font)))
        out.append(Case("web admin page", "", web_page(
            ["Device status: Ready", "IP address: 192.168.1.20", "Firmware: 71.3.10", "Pages printed: 10,482",
             "Serial: XK93-20481", "Last job 14:32"], font)))
        for code, lines in (("ERR:21", ["Err:21", "Card read failed"]), ("ERR996", ["ERR 996", "Link down"]),
                            ("ALM055", ["ALM 055", "Overheat"]), ("L.E", ["L.E", "Fault"])):
            out.append(Case("text LCD", code, lcd(lines, font)))
        out.append(Case("text LCD", "", lcd(["Ready", "Temp 21.5C 14:32"], font)))
    return out


def main() -> None:
    """Read every case's frames and print recall and false codes per class."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, default=2, help="captures per screen and size")
    ap.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE", help="override a DiagnosticsConfig tunable")
    args = ap.parse_args()
    config = DiagnosticsConfig()
    types = {f.name: type(getattr(config, f.name)) for f in fields(DiagnosticsConfig)}
    overrides: dict[str, object] = {}
    for item in args.set:
        name, value = item.split("=", 1)
        kind = types[name]
        overrides[name] = value.lower() in ("1", "true", "yes") if kind is bool else kind(value)
    config = replace(config, **overrides)  # type: ignore[arg-type]
    engine = TesserocrEngine(config.tessdata_path, config.languages)
    analyzer = FrameAnalyzer(config, engine, known=KnownCodes(load_catalog(config.catalog_path).codes()))
    per_kind: dict[str, list[tuple[bool, bool, bool]]] = {}  # (shows a code, code read, a false code read)
    cpu: dict[int, list[float]] = {640: [], 1280: []}
    for case in cases():
        aspect = case.screen.shape[1] / case.screen.shape[0]
        for size in SIZES:
            for seed in range(1, args.seeds + 1):
                params = random_capture_params(np.random.default_rng(seed), size, aspect, 0.6)
                analysis = analyzer.analyze(render_capture(case.screen, params, size))
                cpu[size[0]].append(analysis.cpu_ms)
                got = {r.code.upper() for r in analysis.reads}
                hit = bool(case.code) and case.code.upper() in got
                false = bool(got - {case.code.upper()})
                per_kind.setdefault(case.kind, []).append((bool(case.code), hit, false))
                if (case.code and not hit) or false:
                    print(f"  {case.kind}: {case.code or '(none)'} at {size[0]}, seed {seed}: read {sorted(got)}")
    print(f"{'class':38} {'frames':>6} {'recall':>16} {'false-code frames':>18}")
    total = [r for rows in per_kind.values() for r in rows]
    for label, rows in [*per_kind.items(), ("all", total)]:
        pos = [hit for shows, hit, _ in rows if shows]
        recall = f"{100 * sum(pos) / len(pos):.1f}% ({sum(pos)}/{len(pos)})" if pos else "-"
        print(f"{label:38} {len(rows):6d} {recall:>16} {sum(f for *_, f in rows):11d} / {len(rows)}")
    for width, values in cpu.items():
        print(f"CPU per frame at {width} px wide (this thread): median {statistics.median(values):.0f} ms, "
              f"p95 {float(np.percentile(values, 95)):.0f} ms")


if __name__ == "__main__":
    main()
