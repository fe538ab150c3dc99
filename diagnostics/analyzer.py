"""One frame through the pipeline: find the screen, rectify, prepare, OCR, extract codes."""

from __future__ import annotations

import difflib
import re
import time
from dataclasses import dataclass, field, replace

import cv2
import numpy as np

from diagnostics.config import DiagnosticsConfig
from diagnostics.context import median_height
from diagnostics.detect import LineDetector, thread_line_detector, upright_crop
from diagnostics.errors import OcrUnavailableError
from diagnostics.extract import CodeRead, extract_codes, lacks_context
from diagnostics.follow import (
    QuietView,
    StillScreen,
    code_bands,
    outside_bands,
    shift_of,
    shifted_lines,
    small_copy,
)
from diagnostics.frames import to_gray, validate_frame
from diagnostics.known import NO_CODES, KnownCodes
from diagnostics.lines import LineBox, crop_line, find_lines
from diagnostics.ocr import OcrEngine, OcrLine, OcrWord
from diagnostics.preprocess import is_light_on_dark, prepare, prepare_like
from diagnostics.rapid import LineRead, RapidLineReader, thread_line_reader, thread_text_reader
from diagnostics.reread import read_lone_line, reread_code_words
from diagnostics.screen import find_screens, find_text, order_corners, rectify
from diagnostics.second_opinion import LineReader
from diagnostics.sevenseg import read_seven_segment

SURE_CODE = 0.9  # a code Tesseract read less surely has its line read again whole (when the recogniser is on)
MAX_CODE_LINES = 2  # such lines per frame
SURE_LINE = 0.85  # a line whose every word Tesseract read this surely is not read again whole
MIN_LINE_CONFIDENCE = 0.6  # a whole-line reading below this mean character probability is dropped
SURE_LARGE_PRINT = 0.9  # Tesseract's read of large print this sure is text, not garbled segments
SEGMENT_ROW_SCALE = 2.0  # a segment row this many times taller than the typical word is the panel's display
GARBLED_WORD = 0.5  # a word the first language reads below this confidence is likely another script
GARBLED_SHARE = 0.6  # ... and when this share of the screen's words are such, the other-script pass runs
SURE_SCRIPT = 0.7  # median word confidence an other-script reading needs to replace the first (not a blurred screen)
DETECTED = "detected-lines"  # the pass whose lines the line detector found and RapidOCR read
MIN_DETECT_PX = 48  # a prepared region smaller than this on either side holds no line worth the detector
DETECTED_BAND_PAD = 0.35  # of a line's height: a followed detected line is read again alone (one line per crop)
DETECTED_BAND_REACH = 0.6
SMALL_REGION = 0.25  # of the frame's area: a text block this small in a picture without a screen outline is a part
DETECTED_CROP_PAD = 0.15  # of a line's height around a detected line's corners (some ground around the glyphs)


@dataclass(slots=True)
class FrameAnalysis:
    """What one frame yielded, and how it got there."""

    reads: list[CodeRead]
    lines: list[OcrLine]
    region: str  # "screen" | "text-block" | "outline" | "frame": where the reported lines come from
    passes: list[str] = field(default_factory=list)  # OCR passes; a later region's prefixed ("outline:eng")
    regions_read: list[str] = field(default_factory=list)  # every region OCR'd, in order
    ocr_input: np.ndarray | None = None
    ms: float = 0.0  # wall-clock time
    cpu_ms: float = 0.0  # this thread's CPU time (what one core spends, whatever else runs)
    still: StillScreen | QuietView | None = None  # what the next frame of the same view may reuse (follow.py)


def load_models(config: DiagnosticsConfig) -> None:
    """Load the calling thread's RapidOCR models that this config uses (~1 s of CPU): an analysis worker calls it at
    start, so the first still view it reads does not wait for them."""
    if config.line_detector:
        thread_line_detector()
        thread_text_reader()
    if config.second_recogniser:
        thread_line_reader()


class FrameAnalyzer:
    """Stateless per-frame analysis; owns nothing but its config and the (thread-confined) engine.

    Passes, cheapest first, each only when the previous found no code: the first language on the
    prepared grey image (Tesseract binarises it with Otsu itself) plus a character-restricted re-read of
    code-like words; all languages when a code lacks its (e.g. Chinese) keyword; the seven-segment
    decoder; a single-line code read of near-empty panels. An extra adaptive-threshold pass was measured
    (+1 of 168 clips, +20 ms median on screens without a code) and left out.

    Regions, best guess first: the screen outline holding the text, else the main text block. When that
    shows no code and was not read clearly, the second guess is read: the text block inside a found screen,
    the bare outline when stray strokes (a blurred bezel edge) outweighed the real text, else the whole frame
    (digits too big to count as text), which skips the decoders that trust bare displays.
    """

    def __init__(self, config: DiagnosticsConfig, engine: OcrEngine, second: LineReader | None = None,
                 known: KnownCodes = NO_CODES) -> None:
        self._c = config
        self._engine = engine
        # The second recogniser is thread-confined like the engine: the calling (worker) thread's own.
        self._second = second if second is not None or not config.second_recogniser else thread_line_reader()
        self._text_reader: LineReader | None = thread_text_reader() if config.rapid_lines else None
        # The detector's models load on first use (a still view without a code), not with the analyzer: a code
        # Tesseract reads in the first frames is not delayed by loading them (~1 s on a busy core).
        self._detector_: LineDetector | None = None
        self._line_reader_: RapidLineReader | None = None
        self.known = known  # catalogued codes; replaced when the catalog is reloaded
        langs = config.language_list
        self._fast_lang = langs[0]
        self._all_langs = "+".join(langs)
        self._script_langs = [lang for lang in config.script_language_list if lang not in langs[:1]]
        self._located: dict[str, tuple[np.ndarray, float]] = {}  # the last locate()'s regions: corners, inset

    def _detector(self) -> LineDetector:
        """The worker thread's line detector, loaded on first use."""
        if self._detector_ is None:
            self._detector_ = thread_line_detector()
        return self._detector_

    def _line_reader(self) -> RapidLineReader:
        """The worker thread's whole-alphabet line reader, loaded on first use."""
        if self._line_reader_ is None:
            self._line_reader_ = thread_text_reader()
        return self._line_reader_

    @property
    def located(self) -> dict[str, tuple[np.ndarray, float]]:
        """The last locate()'s regions by how they were found: corners in the frame and rectify's inset."""
        return dict(self._located)

    def locate(self, gray: np.ndarray) -> list[tuple[np.ndarray, str]]:
        """Candidate screen regions of a grey frame, rectified, best first, and how each was found."""
        text = find_text(gray)
        quad, outline = find_screens(gray, self._c.min_screen_share, text)
        out: list[tuple[np.ndarray, str]] = []
        self._located = {}
        if quad is not None:
            out.append((rectify(gray, quad), "screen"))
            self._located["screen"] = (order_corners(quad), 0.01)
        if text.box is not None:
            out.append((rectify(gray, text.box, inset=0.0), "text-block"))
            self._located["text-block"] = (order_corners(text.box), 0.0)
        if quad is None and outline is not None:
            # Stray strokes (a blurred bezel edge) can outweigh the real text: the outline alone is a second guess.
            out.append((rectify(gray, outline), "outline"))
            self._located["outline"] = (order_corners(outline), 0.01)
        if len(out) < 2:
            # Digits too big for a text line (a close-up of a segment panel) are neither text nor inside an outline.
            out.append((gray, "frame"))
        # A code read from the whole frame is followed in the next frames like one read in a screen.
        h, w = gray.shape[:2]
        self._located["frame"] = (np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], np.float32), 0.0)
        return out[:2]

    def analyze(self, image: np.ndarray, still: StillScreen | QuietView | None = None) -> FrameAnalysis:
        """Read the codes in one BGR frame (validated here; FrameError on garbage).

        still: what an earlier frame of the same view left (FrameAnalysis.still); when the view only shifted, the
        code's lines are read again alone, and the whole screen only if that finds no code; a view where the slow
        passes found nothing has them skipped in its next frame."""
        start, cpu_start = time.perf_counter(), time.thread_time()
        frame = validate_frame(image)
        gray = to_gray(frame)
        small = small_copy(gray)
        seen = still is not None and shift_of(still.small, small) is not None
        quiet = still if isinstance(still, QuietView) and seen else None
        slow = not (quiet is not None and quiet.fast_next)
        # The line detector reads a still view (seen before, no sure code found) once; and again in the frame after one
        # where only it read a code, when that code's line cannot be followed (the view moved): a second read of it.
        detected_before = seen and still is not None and still.detected
        again_after_detector = isinstance(still, StillScreen) and still.language == DETECTED or (
            isinstance(still, QuietView) and still.detector_read)
        detect = self._c.line_detector and (seen and not detected_before or again_after_detector)
        if isinstance(still, StillScreen):
            followed = self._follow(gray, small, still)
            if followed is not None:
                reads, lines, ocr_in, again = followed
                return FrameAnalysis(reads, lines, again.region, [f"still:{again.language}"], ["still"], ocr_in,
                                     (time.perf_counter() - start) * 1000, (time.thread_time() - cpu_start) * 1000,
                                     again)
        kept: tuple[list[CodeRead], list[OcrLine], np.ndarray, str, str] | None = None
        regions_read: list[str] = []
        passes: list[str] = []
        detected_here = False
        for i, (region, how) in enumerate(self.locate(gray)):
            regions_read.append(how)
            ocr_in = prepare(region, self._c.target_text_px, self._c.max_ocr_width)
            # The whole frame as a second guess is mostly scenery: the segment and lone-line decoders, which
            # trust bare displays, would find digits in it.
            # The detector reads one region per frame: the first one tall enough to hold a line (a text block can be
            # a sliver of stray strokes, the outline then holds the screen).
            here = detect and not detected_here and min(ocr_in.shape[:2]) >= MIN_DETECT_PX
            reads, lines, done, source = self._read(ocr_in, bare_displays=not (i > 0 and how == "frame"),
                                                    all_langs=slow, detect=here, region=region)
            detected_here = detected_here or DETECTED in done
            passes += done if i == 0 else [f"{how}:{p}" for p in done]
            if kept is None or reads:  # report the best guess's lines unless a later region read a code
                kept = (reads, lines, ocr_in, how, source)
            if reads or _clearly_read(lines) or not (slow or detect and not detected_here):
                break  # the next candidate region is read only when this one showed no code
        assert kept is not None  # locate() always offers at least the whole frame
        reads, lines, ocr_in, how, source = kept
        # The last code came from the whole frame's lines and could not be followed: they are read again.
        again_on_frame = isinstance(still, StillScreen) and still.language == DETECTED and still.region == "frame"
        if detect and (not reads and self._small_region(how, gray) or again_on_frame and not _sure(reads)):
            # The region read is a small part of the picture (a text block of an app or a slip that fills the frame,
            # where no screen outline was found) and its lines held no code: the detector reads the lines of the whole
            # frame, at its resolution (the region's own detection, on its upscaled copy, reads small print better).
            found = self._read_detected_lines(gray, [], None)
            passes.append(f"frame:{DETECTED}")
            detected_here = True
            frame_reads = extract_codes(found, self.known, self._c.code_threshold) if found else []
            if frame_reads:
                reads, lines, ocr_in, how, source = frame_reads, found, gray, "frame", DETECTED
        follow: StillScreen | QuietView | None = None
        slow_ran = len(regions_read) > 1 or any(p in passes for p in (self._all_langs, *self._script_langs))
        detected = detected_here or detected_before
        if not reads or how not in self._located:
            # No code, or one read where its line cannot be followed: the next frame of the view knows what ran here.
            follow = QuietView(small, fast_next=slow and slow_ran and not reads, detected=detected,
                               detector_read=bool(reads) and source == DETECTED)
        if reads and how in self._located and source in (self._fast_lang, self._all_langs, *self._script_langs,
                                                         DETECTED):
            corners, inset = self._located[how]
            shape = (int(ocr_in.shape[0]), int(ocr_in.shape[1]))
            pads = (DETECTED_BAND_PAD, DETECTED_BAND_REACH) if source == DETECTED else ()
            bands = code_bands(lines, {r.line for r in reads}, shape, *pads)
            if bands:
                # Polarity as prepare() chose it (measured again only here, on the frame that gets followed).
                region = rectify(gray, corners, inset)
                follow = StillScreen(small, corners, inset, is_light_on_dark(region), shape, source, lines, bands,
                                     how, detected)
        return FrameAnalysis(reads, lines, how, passes, regions_read, ocr_in, (time.perf_counter() - start) * 1000,
                             (time.thread_time() - cpu_start) * 1000, follow)

    def _small_region(self, how: str, gray: np.ndarray) -> bool:
        """The region read was no screen outline and covers under SMALL_REGION of the frame."""
        if how == "screen" or how == "frame" or how not in self._located:
            return False
        corners, _ = self._located[how]
        area = float(cv2.contourArea(corners.reshape(4, 1, 2)))
        return area < SMALL_REGION * gray.shape[0] * gray.shape[1]

    def _follow(self, gray: np.ndarray, small: np.ndarray, still: StillScreen
                ) -> tuple[list[CodeRead], list[OcrLine], np.ndarray, StillScreen] | None:
        """The code's lines of a still view read again alone; None when the view moved or they show no code."""
        shift = shift_of(still.small, small)
        if shift is None:
            return None
        corners = still.corners + np.array(shift, np.float32)
        region = rectify(gray, corners, still.inset)
        ocr_in = prepare_like(region, still.inverted, still.shape)
        fresh: list[OcrLine] = []
        for x0, y0, x1, y1 in still.bands:
            if still.language == DETECTED and self._c.line_detector:
                # A line only the detector and RapidOCR found: read again whole by RapidOCR (Tesseract lost it), cut
                # as it was read then (at the frame's own resolution, the prepared image's polarity).
                read = self._line_reader().read_line(self._band_crop(region, ocr_in, still.inverted, (x0, y0, x1, y1)))
                if read.text and read.confidence >= MIN_LINE_CONFIDENCE:
                    fresh.append(OcrLine(read.text, read.confidence,
                                         _words_of_line(read.text, read, (x0, y0, x1 - x0, y1 - y0), ocr_in)))
            else:
                fresh += _on_screen(shifted_lines(self._engine.read(ocr_in[y0:y1, x0:x1], still.language), x0, y0),
                                    ocr_in)
        if still.language != DETECTED:
            fresh = reread_code_words(self._engine, ocr_in, fresh, self._second, self.known)
        lines = sorted(outside_bands(still.lines, still.bands) + fresh,
                       key=lambda ln: min(w.box[1] for w in ln.words) if ln.words else 0)
        reads = extract_codes(lines, self.known, self._c.code_threshold)
        if not reads:
            return None
        bands = code_bands(lines, {r.line for r in reads}, still.shape) or still.bands
        return reads, lines, ocr_in, StillScreen(small, corners, still.inset, still.inverted, still.shape,
                                                 still.language, lines, bands, still.region, still.detected)

    def _band_crop(self, region: np.ndarray, ocr_in: np.ndarray, inverted: bool, band: tuple[int, int, int, int]
                   ) -> np.ndarray:
        """A band of the prepared image cut from the rectified region at its own resolution (or from the prepared
        image when that is how detected lines are read)."""
        x0, y0, x1, y1 = band
        if not self._c.detected_at_frame_scale or region.shape[:2] == ocr_in.shape[:2]:
            return ocr_in[y0:y1, x0:x1]
        sy, sx = region.shape[0] / ocr_in.shape[0], region.shape[1] / ocr_in.shape[1]
        crop = region[round(y0 * sy): max(round(y0 * sy) + 1, round(y1 * sy)),
                      round(x0 * sx): max(round(x0 * sx) + 1, round(x1 * sx))]
        return 255 - crop if inverted else crop

    def _read(self, ocr_in: np.ndarray, bare_displays: bool = True, all_langs: bool = True, detect: bool = False,
              region: np.ndarray | None = None) -> tuple[list[CodeRead], list[OcrLine], list[str], str]:
        """Reads, lines, passes run and the pass whose lines are returned (detect: end with the line detector, whose
        lines are cut from region, the rectified grey region at the frame's own resolution, when given)."""
        known, threshold = self.known, self._c.code_threshold
        first_lines = _on_screen(self._engine.read(ocr_in, self._fast_lang), ocr_in)  # as read: re-reads raise confidences
        lines = reread_code_words(self._engine, ocr_in, first_lines, self._second, known)
        passes = [self._fast_lang]
        seg_won, tried_all = False, False
        source = self._fast_lang
        reads = extract_codes(lines, known, threshold)
        if reads and self._text_reader is not None and min(r.confidence for r in reads) < SURE_CODE:
            # A code read unsurely: its line read whole by the line recogniser, which misreads glyphs less often.
            again = self._reread_code_lines(ocr_in, lines, [r for r in reads if r.confidence < SURE_CODE])
            if again:
                passes.append("rapid-code-lines")
                merged = _merge_lines(lines, again)
                merged_reads = extract_codes(merged, known, threshold)
                if merged_reads:
                    lines, reads, source = merged, merged_reads, "rapid-code-lines"
        if bare_displays and (not reads or _few_tokens(lines) or _has_large_words(lines)):
            # Segment panels, which Tesseract cannot read (it may even read a wrong code from their glyphs):
            # a cheap dedicated decoder, consulted when Tesseract saw little text or some glyphs much larger.
            seg_lines = _on_screen(read_seven_segment(ocr_in), ocr_in)
            passes.append("segments")
            seg_reads = extract_codes(seg_lines, known, threshold)
            prominent = _prominent_row(seg_lines, lines)
            if not _few_tokens(lines) and not prominent:
                # Text was read but held no code: two segment letters decoded from it (a bluescreen's ":(" as
                # bE) are blobs, not a panel; a code with a digit is still trusted.
                seg_reads = [r for r in seg_reads if r.shape != "letters"]
            # A code Tesseract read surely in the large print itself (a big "E-204" title) is not overruled.
            if seg_reads and (not reads or prominent and not _in_large_print(reads, lines)):
                lines, reads, source = seg_lines, seg_reads, "segments"
        if self._script_langs and all_langs and not seg_won and _garbled(first_lines):
            # The first language read the words as garbage: text of another script (Japanese kana glued to a code
            # read "I3-E14"). Each script's model, then all configured languages (unless the line recogniser, which
            # reads Chinese, comes next); a reading kept only when its words are read surely (a blurred Latin screen
            # is garbage to every model) and surer than the first language's.
            for lang in self._script_langs + ([self._all_langs] if self._text_reader is None else []):
                if lang == self._fast_lang:
                    continue
                try:
                    other = _on_screen(self._engine.read(ocr_in, lang), ocr_in)
                except OcrUnavailableError:
                    continue  # the language's data is not installed: the pass is skipped, not the frame
                passes.append(lang)
                tried_all = tried_all or lang == self._all_langs
                other_reads = extract_codes(other, known, threshold)
                sure = _word_confidence(other)
                if other_reads and sure >= SURE_SCRIPT and sure > _word_confidence(first_lines):
                    lines, reads, source = other, other_reads, lang
                    break
        if not reads and self._text_reader is not None:
            rapid_lines = self._read_lines_whole(ocr_in, lines)
            if rapid_lines:
                passes.append("rapid-lines")
                merged = _merge_lines(lines, rapid_lines)
                rapid_reads = extract_codes(merged, known, threshold)
                if rapid_reads or not lacks_context(lines, known, threshold):
                    lines, reads, source = merged, rapid_reads, "rapid-lines"
        if not reads and all_langs and not tried_all and self._all_langs != self._fast_lang \
                and lacks_context(lines, known, threshold):
            # Chinese context words ("错误代码") only read with chi_sim loaded; slower, so only when needed.
            lines = _on_screen(self._engine.read(ocr_in, self._all_langs), ocr_in)
            passes.append(self._all_langs)
            source = self._all_langs
            reads = extract_codes(lines, known, threshold)
        if not reads and bare_displays and _few_tokens(lines):
            # A panel showing little but a short code (E5) that the layout pass missed or garbled:
            # read the one text line as a code.
            line = read_lone_line(self._engine, ocr_in, self._second)
            line = _on_screen([line], ocr_in)[0] if line is not None else None
            passes.append("lone-line")
            lone_reads = extract_codes([line], known, threshold) if line is not None else []
            if line is not None and lone_reads:
                lines, reads, source = [line], lone_reads, "lone-line"
        if detect and not _sure(reads):
            # A still view where the cheap passes found no code, or none read surely after a caption (garbled glyphs of
            # a dot-matrix panel read as some code): the lines a learned detector finds, read whole.
            found = self._read_detected_lines(ocr_in, lines, region)
            passes.append(DETECTED)
            if found:
                # The merged lines are the frame's lines even without a code: what was read is what benches attribute.
                lines = _merge_lines(lines, found)
                reads, source = extract_codes(lines, known, threshold), DETECTED
        return reads, lines, passes, source

    def _read_detected_lines(self, ocr_in: np.ndarray, lines: list[OcrLine], region: np.ndarray | None = None
                             ) -> list[OcrLine]:
        """The detector's lines that Tesseract missed or read unsurely, each read whole by RapidOCR.

        The boxes are found on the prepared image; their crops are cut from the rectified region at the frame's own
        resolution when given (prepare() scales text to ~18 px for Tesseract: a 720p frame's larger glyphs keep
        detail the recogniser uses), in the prepared image's polarity."""
        todo = []
        for box in self._detector().detect(ocr_in):
            theirs = [w for ln in lines for w in ln.words if _overlaps(w.box, box.box)]
            sure = min((w.confidence for w in theirs), default=0.0)
            # Lines Tesseract did not see at all first, then garbled ones; a line it read surely enough stays its own.
            if sure < self._c.detected_reread_below:
                mean = float(np.mean([w.confidence for w in theirs])) if theirs else 0.0
                spaced = " ".join(w.text for w in sorted(theirs, key=lambda w: w.box[0]))
                todo.append((sure, mean, spaced, box))
        todo = sorted(todo, key=lambda t: (t[0], t[3].y))[:self._c.max_detected_lines]
        if not todo:
            return []
        boxes = [box for _, _, _, box in todo]
        source, sx, sy = ocr_in, 1.0, 1.0
        if region is not None and self._c.detected_at_frame_scale and region.shape[:2] != ocr_in.shape[:2]:
            source = 255 - region if is_light_on_dark(region) else region
            sy, sx = region.shape[0] / ocr_in.shape[0], region.shape[1] / ocr_in.shape[1]
        # Each line cut along its own corners, upright (a turned phone or slip), else by its box with a margin.
        crops = [upright_crop(source, b.quad * np.array([sx, sy], np.float32), DETECTED_CROP_PAD) if b.quad is not None
                 else crop_line(source, LineBox(round(b.x * sx), round(b.y * sy), max(1, round(b.w * sx)),
                                               max(1, round(b.h * sy)), 1.0)) for b in boxes]
        out = []
        for (_, their_mean, their_spaced, box), read in zip(todo, self._line_reader().read_lines(crops), strict=True):
            if "".join(read.text.split()) == "".join(their_spaced.split()):
                continue  # the same glyphs: Tesseract's words keep their own boxes and spaces (RapidOCR drops some)
            # The surer reading of the line wins: Tesseract's words stay where it read them more surely on average.
            if read.text and read.confidence >= max(MIN_LINE_CONFIDENCE, their_mean):
                text = _respaced(read.text, their_spaced)
                out.append(OcrLine(text, read.confidence, _words_of_line(text, read, box.box, ocr_in)))
        return out

    def _read_lines_whole(self, ocr_in: np.ndarray, lines: list[OcrLine]) -> list[OcrLine]:
        """The text lines Tesseract missed or read unsurely, each read whole by the line recogniser."""
        assert self._text_reader is not None
        todo = []
        for box in find_lines(ocr_in, self._c.target_text_px):
            if box.h < 0.6 * self._c.target_text_px:
                continue  # accents, dots and specks
            confs = [w.confidence for ln in lines for w in ln.words if _overlaps(w.box, box.box)]
            # Lines Tesseract did not see at all first, then the least sure ones; sure lines are left alone.
            sure = min(confs) if confs else 0.0
            if sure < SURE_LINE:
                todo.append((sure, box))
        out = []
        for _, box in sorted(todo, key=lambda t: (t[0], t[1].y))[:self._c.max_rapid_lines]:
            read = self._text_reader.read_line(crop_line(ocr_in, box))
            if read.text and read.confidence >= MIN_LINE_CONFIDENCE:
                out.append(OcrLine(read.text, read.confidence, _words_of_line(read.text, read, box.box, ocr_in)))
        return out

    def _reread_code_lines(self, ocr_in: np.ndarray, lines: list[OcrLine], reads: list[CodeRead]) -> list[OcrLine]:
        """The lines holding these reads, each read whole by the line recogniser (sure readings only)."""
        assert self._text_reader is not None
        out = []
        for ln in [ln for ln in lines if ln.words and ln.text.strip() in {r.line for r in reads}][:MAX_CODE_LINES]:
            x0 = min(w.box[0] for w in ln.words)
            y0 = min(w.box[1] for w in ln.words)
            x1 = max(w.box[0] + w.box[2] for w in ln.words)
            y1 = max(w.box[1] + w.box[3] for w in ln.words)
            box = LineBox(x0, y0, x1 - x0, y1 - y0, 1.0)
            read = self._text_reader.read_line(crop_line(ocr_in, box))
            if read.text and read.confidence >= SURE_CODE:
                out.append(OcrLine(read.text, read.confidence, _words_of_line(read.text, read, box.box, ocr_in)))
        return out

    def read_text(self, ocr_input: np.ndarray) -> list[OcrLine]:
        """Full-language read of a prepared image, for a finding's message text."""
        return self._engine.read(ocr_input, self._all_langs)




def _sure(reads: list[CodeRead]) -> bool:
    """Some code was read surely right after a caption: the detector has nothing to add to the view."""
    return any(r.labelled and r.confidence >= SURE_CODE for r in reads)


def _overlaps(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    """Boxes (x, y, w, h) sharing at least half of the smaller one's height and some width."""
    dy = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    dx = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    return dx > 0 and dy >= 0.5 * min(a[3], b[3])


def _on_screen(lines: list[OcrLine], screen: np.ndarray) -> list[OcrLine]:
    """Lines whose words carry their glyph height as a share of the screen's (the prepared image's) height."""
    height = max(1, screen.shape[0])
    return [OcrLine(ln.text, ln.confidence, tuple(replace(w, height_share=w.box[3] / height) for w in ln.words))
            for ln in lines]


def _words_of_line(text: str, read: LineRead, box: tuple[int, int, int, int], screen: np.ndarray
                   ) -> tuple[OcrWord, ...]:
    """Words of a line RapidOCR read whole (text: its reading, maybe re-spaced), with boxes shared out by character
    count (the recogniser gives none) and each word's own mean character probability where the read has them."""
    x, y, w, h = box
    words, total = [], max(1, len(text))
    glyph_confs = [c for ch, c in zip(read.text, read.char_confidences, strict=False) if ch != " "]
    known = len(read.char_confidences) == len(read.text) and len(glyph_confs) == len(text.replace(" ", ""))
    glyph = 0
    for m in re.finditer(r"\S+", text):
        x0 = x + round(w * m.start() / total)
        x1 = x + round(w * m.end() / total)
        n = len(m.group(0))
        conf = float(np.mean(glyph_confs[glyph:glyph + n])) if known else read.confidence
        glyph += n
        words.append(OcrWord(m.group(0), conf, (x0, y, max(1, x1 - x0), h), "rapidocr", h / max(1, screen.shape[0])))
    return tuple(words)


def _respaced(text: str, theirs: str) -> str:
    """A whole-line reading with the word gaps another reading of the line saw put back between matching glyphs.

    RapidOCR's recogniser drops narrow word gaps ("SEQ 4295" read "SEQ4295", a number glued to its label becomes a
    code shape); Tesseract segments words from the ink. Where both read the same glyphs on either side of one of
    Tesseract's gaps, the gap is kept; RapidOCR's own spaces stay."""
    if not theirs.strip() or " " not in theirs.strip():
        return text
    text = text.strip()
    ours = text.replace(" ", "")
    glyphs: list[str] = []
    gap_before: set[int] = set()
    for word in theirs.split():
        if glyphs:
            gap_before.add(len(glyphs))
        glyphs.extend(word)
    matcher = difflib.SequenceMatcher(None, ours, "".join(glyphs), autojunk=False)
    breaks: set[int] = set()
    for i, j, n in matcher.get_matching_blocks():
        # Within a run of matching glyphs only: both readings agree on the glyph before and after the gap.
        breaks.update(i + k for k in range(1, n) if j + k in gap_before)
    own = {len(text[:m.start()].replace(" ", "")) for m in re.finditer(r" +", text)}
    out = []
    for idx, ch in enumerate(ours):
        if idx and (idx in breaks or idx in own):
            out.append(" ")
        out.append(ch)
    return "".join(out)


def _merge_lines(lines: list[OcrLine], whole: list[OcrLine]) -> list[OcrLine]:
    """Tesseract's lines with those it shares a box with replaced by the whole-line readings, top to bottom."""
    spans = [(ln.words[0].box[0], ln.words[0].box[1], ln.words[-1].box[0] + ln.words[-1].box[2] - ln.words[0].box[0],
              ln.words[0].box[3]) for ln in whole if ln.words]
    kept = [ln for ln in lines if not any(_overlaps(w.box, sp) for w in ln.words for sp in spans)]
    out = kept + whole
    return sorted(out, key=lambda ln: ln.words[0].box[1] if ln.words else 0)


def _has_large_words(lines: list[OcrLine]) -> bool:
    """Some words drawn much larger than the screen's typical text (segment digits beside printed labels)."""
    text = [w.box[3] for ln in lines for w in ln.words if any(ch.isalnum() for ch in w.text) and w.box[3] > 0]
    # Against the smaller words: garbled segment glyphs may be half of what Tesseract read, and read as
    # punctuation ("«(", "<-->"), which counts as large glyphs but not as the print to compare with.
    tallest = max((w.box[3] for ln in lines for w in ln.words), default=0)
    return len(text) >= 2 and tallest >= SEGMENT_ROW_SCALE * float(np.percentile(text, 25))


def _prominent_row(seg_lines: list[OcrLine], lines: list[OcrLine]) -> bool:
    """A decoded segment row at least SEGMENT_ROW_SCALE times as tall as the print around it: the panel's main
    display, which outranks any code Tesseract read from the small print (or garbled from the row itself)."""
    rows = [w.box for ln in seg_lines for w in ln.words]
    if not rows:
        return False
    _, top, _, height = max(rows, key=lambda b: b[3])
    # Words beside the row are Tesseract's readings of the segments themselves, not the print to compare with.
    around = [w.box[3] for ln in lines for w in ln.words if any(ch.isalnum() for ch in w.text)
              and not top <= w.box[1] + w.box[3] / 2 <= top + height]
    return not around or height >= SEGMENT_ROW_SCALE * float(np.median(around))


def _in_large_print(reads: list[CodeRead], lines: list[OcrLine]) -> bool:
    """Some code was read surely from a line holding words SEGMENT_ROW_SCALE times the typical height."""
    typical = median_height([w for ln in lines for w in ln.words])
    if typical is None:
        return False
    read_lines = {r.line for r in reads if r.confidence >= SURE_LARGE_PRINT}
    return any(ln.text.strip() in read_lines and any(w.box[3] >= SEGMENT_ROW_SCALE * typical for w in ln.words)
               for ln in lines)


def _word_confidence(lines: list[OcrLine]) -> float:
    """Median confidence of the words with two or more letters or digits (0 when there are none)."""
    confs = [w.confidence for ln in lines for w in ln.words if sum(ch.isalnum() for ch in w.text) >= 2]
    return float(np.median(confs)) if confs else 0.0


def _garbled(lines: list[OcrLine]) -> bool:
    """Most words read unsurely (at least two): the screen's text is likely of a script the language lacks."""
    confs = [w.confidence for ln in lines for w in ln.words if sum(ch.isalnum() for ch in w.text) >= 2]
    return len(confs) >= 2 and sum(c < GARBLED_WORD for c in confs) >= GARBLED_SHARE * len(confs)


def _few_tokens(lines: list[OcrLine]) -> bool:
    return sum(len(ln.text.split()) for ln in lines) <= 2


def _clearly_read(lines: list[OcrLine]) -> bool:
    """Several words read with confidence and none garbled: the region was the screen, and it shows no code."""
    words = [w for ln in lines for w in ln.words if sum(ch.isalnum() for ch in w.text) >= 2]
    confs = [w.confidence for w in words]
    return len(words) >= 4 and float(np.median(confs)) >= 0.85 and min(confs) >= 0.5
