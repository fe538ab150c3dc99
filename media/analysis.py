"""Decodes the customer's video only for analysis, in its own thread, handing sampled frames to a sink."""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
from typing import Protocol, cast

import av
import numpy as np

from .frames import EncodedFrame

log = logging.getLogger(__name__)

MAX_PENDING = 90  # ~3 s of 30 fps; beyond this the decoder is behind and skips to the next keyframe


class FrameSink(Protocol):
    """Where sampled decoded frames go (diagnostics, wired by the root)."""

    def wants(self, t: float) -> bool:
        """Cheap: is a frame at stream time t (seconds) worth converting and handing over?"""

    def put(self, image: np.ndarray, t: float, arrival: float) -> None:
        """Take a BGR frame; must not block (drop when busy)."""


class AnalysisDecoder:
    """Decodes encoded video frames off the event loop; converts to pixels only the frames the sink wants.

    Inter-frames depend on their predecessors, so every frame after a keyframe is decoded, but the costly
    conversion to BGR happens only at the sink's sampling rate. If decoding falls behind, pending frames are
    dropped and decoding resumes at the next keyframe: analysis never slows the relay.
    """

    def __init__(self, sink: FrameSink, name: str = "analysis") -> None:
        self._sink = sink
        self._queue: queue.Queue[EncodedFrame | None] = queue.Queue(maxsize=MAX_PENDING)
        self._thread = threading.Thread(target=self._run, name=f"decode-{name}", daemon=True)
        self._codec_name: str | None = None
        self._ctx: av.VideoCodecContext | None = None
        self._need_keyframe = True
        self._started = False
        self.decoded = 0
        self.converted = 0
        self.dropped = 0
        self.errors = 0

    def feed(self, frame: EncodedFrame) -> None:
        """Queue an encoded video frame (non-blocking; drops when the decoder is behind)."""
        if frame.kind != "video":
            return
        if not self._started:
            self._started = True
            self._thread.start()
        try:
            self._queue.put_nowait(frame)
        except queue.Full:
            self.dropped += 1
            self._need_keyframe = True

    def close(self) -> None:
        """Stop the decoder thread."""
        if self._started:
            with contextlib.suppress(queue.Full):
                self._queue.put(None, timeout=1.0)
            self._thread.join(timeout=5.0)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            try:
                self._decode(item)
            except Exception:
                self.errors += 1
                self._need_keyframe = True
                log.warning("analysis decode failed (%s frame of %d bytes); waiting for a keyframe",
                            item.codec, len(item.data), exc_info=log.isEnabledFor(logging.DEBUG))

    def _decode(self, item: EncodedFrame) -> None:
        if self._need_keyframe:
            if not item.keyframe:
                return
            self._need_keyframe = False
        if self._ctx is None or self._codec_name != item.codec:
            self._codec_name = item.codec
            self._ctx = cast(av.VideoCodecContext, av.CodecContext.create(item.codec.lower(), "r"))
        packet = av.Packet(item.data)
        for frame in self._ctx.decode(packet):
            self.decoded += 1
            t = item.timestamp / item.clock_rate
            if isinstance(frame, av.VideoFrame) and self._sink.wants(t):
                self.converted += 1
                self._sink.put(frame.to_ndarray(format="bgr24"), t, item.arrival)
