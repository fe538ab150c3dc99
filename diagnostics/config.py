"""Tunables of the diagnostics pipeline (sampling, gates, OCR, consensus)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DEFAULT_CATALOG = Path(__file__).with_name("catalogs")  # the built-in catalog files


@dataclass(frozen=True)
class DiagnosticsConfig:
    """All settings of one analysis pipeline; the root fills it from lensdesk Settings."""

    languages: str = "eng+chi_sim"
    # Tesseract languages tried one at a time when the first language reads the screen's words as garbage (text
    # of another script: Japanese kana read as "I3-E14 WAKTEECA"); "+"-separated, empty = none.
    script_languages: str = "jpn"
    tessdata_path: str = "/usr/share/tesseract-ocr/5/tessdata/"
    sample_fps: float = 3.0
    # Quality gates (computed on a grey frame scaled to gate_width pixels wide).
    gate_width: int = 320
    min_sharpness: float = 25.0  # variance of the Laplacian; below = too blurry
    min_brightness: float = 25.0  # mean grey level; below = too dark
    max_brightness: float = 235.0  # mean grey level; above = overexposed
    max_clipped_share: float = 0.6  # share of saturated pixels; above = washed out
    min_change: float = 1.5  # mean abs difference of 64x36 thumbnails to count as "changed"
    unchanged_recheck_s: float = 1.0  # analyse an unchanged scene again after this long anyway
    settled_change: float = 8.0  # change needed once every code in view is reported (hand shake is below it)
    settled_recheck_s: float = 3.0  # a settled scene is still read again after this long
    # Screen finding and OCR preparation.
    min_screen_share: float = 0.06  # smallest screen quad, as share of the frame area
    target_text_px: int = 18  # upscale so text lines are about this tall
    max_ocr_width: int = 1400  # cap on the rectified width handed to the OCR engine
    # Code grammar: a token is a code when its shape's prior plus context evidence reaches this (extract.py).
    code_threshold: float = 1.0
    # Consensus.
    confirm_reads: int = 2  # agreeing reads needed to confirm a code
    confirm_window_s: float = 8.0  # reads older than this no longer count towards confirmation
    single_read_confidence: float = 0.96  # one read at or above this confirms a catalogued code at once
    uncatalogued_extra_reads: int = 0  # agreeing reads an uncatalogued code needs beyond confirm_reads
    # One read confirms an uncatalogued code when it is strong: right after an error caption, no glyph repaired, read
    # at least this surely, its evidence this far above code_threshold (above 1.0 / a huge margin: never).
    strong_read_confidence: float = 0.9
    strong_read_margin: float = 0.6
    min_read_confidence: float = 0.45  # reads of short codes (E5, E:51) below this count only as their share
    min_weak_read_confidence: float = 0.1  # ... and below this not at all
    min_long_read_confidence: float = 0.15  # same for codes of 6+ characters: two equal misreads are unlikely
    variant_suppress_s: float = 10.0  # near-variants of a confirmed code seen within this are misreads
    # A second recogniser (RapidOCR's recognition model) reads the code crops Tesseract is unsure about.
    second_recogniser: bool = False
    # When the Tesseract pass finds no code, the screen's text lines (found by morphology) that Tesseract missed or
    # read unsurely are read whole by RapidOCR's recognition model (Chinese and Latin), at most this many per frame.
    rapid_lines: bool = False
    max_rapid_lines: int = 5
    # A still view whose cheap passes found no code has its text lines found once by a learned detector (DBNet at
    # reduced scale, diagnostics/detect.py) and read whole by RapidOCR's recogniser, cut from the frame at its own
    # resolution, at most this many per view; a line's reading replaces Tesseract's words on it when surer
    # (dot-matrix, segment, e-ink, HMI and dark-theme screens whose lines Tesseract misses or garbles). On by
    # default since the sixth round (docs/performance.md): +4 of 56 codes on never-tuned families for ~20 ms median.
    line_detector: bool = True
    max_detected_lines: int = 8
    # A detected line is read by RapidOCR when no Tesseract word on it was read at least this surely (above 1: all).
    detected_reread_below: float = 1.01
    # Detected lines are cut from the rectified region at the frame's own resolution (not the prepared image).
    detected_at_frame_scale: bool = True
    snapshot_quality: int = 85  # JPEG quality of finding snapshots
    catalog_path: Path = DEFAULT_CATALOG  # a catalog file or a directory of them
    extra_catalog_dir: Path | None = None  # the operator's catalogs, loaded on top (bad files skipped)

    def __post_init__(self) -> None:
        if self.sample_fps <= 0:
            raise ValueError("sample_fps must be positive")
        if self.confirm_reads < 1:
            raise ValueError("confirm_reads must be at least 1")
        if self.uncatalogued_extra_reads < 0:
            raise ValueError("uncatalogued_extra_reads must not be negative")
        if not self.languages.strip():
            raise ValueError("languages must name at least one tesseract language")

    @property
    def script_language_list(self) -> list[str]:
        """Languages of the other-script pass, in order, e.g. ["jpn"]."""
        return [lang for lang in self.script_languages.split("+") if lang]

    @property
    def language_list(self) -> list[str]:
        """Languages in priority order, e.g. ["eng", "chi_sim"]."""
        return [lang for lang in self.languages.split("+") if lang]
