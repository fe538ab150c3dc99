"""Printable QR stickers of device help links: one sticker as PNG or SVG, a sheet of stickers as a PDF.

Rendering is CPU work (QR encoding, rasterising): call these from a worker thread, never on the event loop.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from xml.sax.saxutils import escape

import qrcode
import qrcode.constants
import qrcode.image.svg
from PIL import Image, ImageDraw, ImageFont

STICKER_PX = (600, 800)  # 2 x 2.67 inches at 300 dpi: QR on top, the device's lines below
PAGE_PX = (2480, 3508)  # A4 at 300 dpi
SHEET_GRID = (3, 4)  # stickers per row, rows per page
HEADLINE = "Need help? Scan me"


@dataclass(frozen=True, slots=True)
class Sticker:
    """What one sticker shows: the help URL as a QR code and a few lines naming the device."""

    url: str
    lines: tuple[str, ...]


def _matrix(url: str) -> list[list[bool]]:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    code.add_data(url)
    code.make(fit=True)
    return code.get_matrix()


def _draw(sticker: Sticker) -> Image.Image:
    width, height = STICKER_PX
    image = Image.new("L", STICKER_PX, 255)
    draw = ImageDraw.Draw(image)
    matrix = _matrix(sticker.url)
    quiet = 4  # modules of white around the code, as scanners expect
    module = (width - 80) // (len(matrix) + 2 * quiet)
    left = (width - module * len(matrix)) // 2
    top = 40 + quiet * module
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                draw.rectangle((left + x * module, top + y * module, left + (x + 1) * module - 1,
                                top + (y + 1) * module - 1), fill=0)
    text_top = top + module * (len(matrix) + quiet)
    title = ImageFont.load_default(size=40)
    body = ImageFont.load_default(size=28)
    draw.text((width // 2, text_top), HEADLINE, font=title, fill=0, anchor="mt")
    for i, line in enumerate(sticker.lines[:4]):
        draw.text((width // 2, text_top + 60 + 38 * i), line[:36], font=body, fill=0, anchor="mt")
    draw.rectangle((0, 0, width - 1, height - 1), outline=160, width=3)  # the cutting line
    return image


def sticker_png(sticker: Sticker) -> bytes:
    """One sticker as a PNG (300 dpi)."""
    buf = io.BytesIO()
    _draw(sticker).save(buf, format="PNG", dpi=(300, 300))
    return buf.getvalue()


def sticker_svg(sticker: Sticker) -> bytes:
    """One sticker as an SVG (vector: prints sharp at any size)."""
    code = qrcode.make(sticker.url, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=4)
    qr_buf = io.BytesIO()
    code.save(qr_buf)
    qr_svg = qr_buf.getvalue().decode()
    inner = qr_svg[qr_svg.index(">", qr_svg.index("<svg")) + 1:qr_svg.rindex("</svg>")]
    size = code.pixel_size
    lines = "".join(f'<text x="{size / 2}" y="{size + 70 + 30 * i}" font-size="22" text-anchor="middle" '
                    f'font-family="sans-serif">{escape(line[:36])}</text>' for i, line in enumerate(sticker.lines[:4]))
    height = size + 70 + 30 * min(len(sticker.lines), 4) + 10
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" '
            f'width="{size}" height="{height}" viewBox="0 0 {size} {height}">'
            f'<rect width="100%" height="100%" fill="white"/>{inner}'
            f'<text x="{size / 2}" y="{size + 30}" font-size="28" font-weight="bold" text-anchor="middle" '
            f'font-family="sans-serif">{HEADLINE}</text>{lines}</svg>').encode()


def sticker_sheet_pdf(stickers: list[Sticker]) -> bytes:
    """A4 pages of stickers (3 x 4 a page) as a PDF, ready to print on label paper."""
    if not stickers:
        raise ValueError("no stickers to print")
    per_page = SHEET_GRID[0] * SHEET_GRID[1]
    pages: list[Image.Image] = []
    margin_x = (PAGE_PX[0] - SHEET_GRID[0] * STICKER_PX[0]) // (SHEET_GRID[0] + 1)
    margin_y = (PAGE_PX[1] - SHEET_GRID[1] * STICKER_PX[1]) // (SHEET_GRID[1] + 1)
    for start in range(0, len(stickers), per_page):
        page = Image.new("L", PAGE_PX, 255)
        for i, sticker in enumerate(stickers[start:start + per_page]):
            col, row = i % SHEET_GRID[0], i // SHEET_GRID[0]
            page.paste(_draw(sticker), (margin_x + col * (STICKER_PX[0] + margin_x),
                                        margin_y + row * (STICKER_PX[1] + margin_y)))
        pages.append(page.convert("1"))  # bilevel: a small file, sharp edges
    buf = io.BytesIO()
    pages[0].save(buf, format="PDF", resolution=300.0, save_all=True, append_images=pages[1:],
                  title="lensdesk help stickers")
    return buf.getvalue()
