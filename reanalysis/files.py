"""Reading device error codes from a stored photo or video file (a recording, an upload): decode it and run the
diagnostics pipeline as on live video (every code of a photo; codes confirmed across frames of a video)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import cv2
import numpy as np

from atrest.sealed import AtRestKey, SealedFileError, is_sealed, open_for_reading, read_all
from diagnostics.catalog import Catalog
from diagnostics.config import DiagnosticsConfig
from diagnostics.errors import MediaError
from diagnostics.finding import Finding
from diagnostics.session import SessionDiagnostics
from diagnostics.still import read_still

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"}


def read_image(path: Path, key: AtRestKey | None) -> np.ndarray:
    """A photo as a BGR array (decrypted when it was sealed at rest); MediaError when it is not an image."""
    if is_sealed(path):  # a snapshot from a data dir with encryption at rest
        try:
            data = read_all(path, key)
        except SealedFileError as exc:
            raise MediaError(f"{path}: {exc}") from exc
        image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    else:
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise MediaError(f"{path}: not a readable image")
    return image


def _video_frames(path: Path, session: SessionDiagnostics, key: AtRestKey | None = None,
                  on_progress: Callable[[float], None] | None = None) -> Iterator[tuple[float, np.ndarray]]:
    """(time, BGR frame) for the frames the session wants; decodes only those it wants converted. A recording
    encrypted at rest is decrypted on the fly with the key."""
    import av

    try:
        container = av.open(open_for_reading(path, key), "r")
    except SealedFileError as exc:
        raise MediaError(f"{path}: {exc}") from exc
    except (av.error.FFmpegError, OSError) as exc:
        raise MediaError(f"{path}: cannot open as video: {exc}") from exc
    with container:
        if not container.streams.video:
            raise MediaError(f"{path}: no video stream")
        stream = container.streams.video[0]
        duration = float(stream.duration * stream.time_base) if stream.duration and stream.time_base else None
        if duration is None and container.duration:
            duration = container.duration / 1_000_000
        try:
            for n, frame in enumerate(container.decode(stream)):
                t = float(frame.time) if frame.time is not None else n / float(stream.average_rate or 30)
                if on_progress is not None and duration:
                    on_progress(min(1.0, t / duration))
                if session.wants(t):
                    yield t, frame.to_ndarray(format="bgr24")
        except av.error.FFmpegError as exc:
            raise MediaError(f"{path}: decoding failed: {exc}") from exc


def analyze_file(path: Path, config: DiagnosticsConfig, catalog: Catalog | None = None,
                 key: AtRestKey | None = None, on_progress: Callable[[float], None] | None = None) -> list[Finding]:
    """Findings of an image (every code read) or a video (codes confirmed across frames); key: to read files
    encrypted at rest; on_progress: gets the share of a video read so far (0..1)."""
    if not path.is_file():
        raise MediaError(f"{path}: no such file")
    if path.suffix.lower() in IMAGE_SUFFIXES:
        return read_still(read_image(path, key), config, catalog=catalog)
    session = SessionDiagnostics(config, catalog=catalog)
    findings: list[Finding] = []
    for t, image in _video_frames(path, session, key, on_progress):
        findings.extend(session.process(image, t))
    return findings
