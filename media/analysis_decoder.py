"""Decodes the customer's encoded video for analysis: every frame from a keyframe on, pixels only when wanted."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import cast

import av
import numpy as np

from .frames import EncodedFrame

log = logging.getLogger(__name__)


class FrameDecoder:
    """Stateful decoder of one encoded video stream, tolerant of gaps and garbage.

    Inter-frames depend on their predecessors, so every frame after a keyframe is decoded, but the costly
    conversion to BGR happens only for frames `wanted(t)` accepts. After an error (or a gap the caller
    reports) decoding resumes at the next keyframe.
    """

    def __init__(self) -> None:
        self._codec_name: str | None = None
        self._ctx: av.VideoCodecContext | None = None
        self._need_keyframe = True
        self.decoded = 0
        self.converted = 0
        self.errors = 0

    def gap(self) -> None:
        """Frames were lost before the next one: wait for a keyframe."""
        self._need_keyframe = True

    def decode(self, frame: EncodedFrame, wanted: Callable[[float], bool]) -> Iterator[tuple[np.ndarray, float]]:
        """(BGR image, stream time s) for each decoded picture the caller wants."""
        if frame.kind != "video":
            return
        if self._need_keyframe:
            if not frame.keyframe:
                return
            self._need_keyframe = False
        try:
            if self._ctx is None or self._codec_name != frame.codec:
                self._codec_name = frame.codec
                self._ctx = cast(av.VideoCodecContext, av.CodecContext.create(frame.codec.lower(), "r"))
            pictures = self._ctx.decode(av.Packet(frame.data))
        except (av.error.FFmpegError, ValueError) as exc:
            self.errors += 1
            self._need_keyframe = True
            log.debug("analysis decode failed (%s frame of %d bytes): %s", frame.codec, len(frame.data), exc)
            return
        t = frame.timestamp / frame.clock_rate
        for picture in pictures:
            self.decoded += 1
            if isinstance(picture, av.VideoFrame) and wanted(t):
                self.converted += 1
                yield picture.to_ndarray(format="bgr24"), t
