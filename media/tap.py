"""Tap an aiortc RTCRtpReceiver's reassembled ENCODED frames, before (or instead of) its decoder.

aiortc 1.16's receiver puts every complete frame from its jitter buffer, as
`(RTCRtpCodecParameters, JitterFrame)`, on a private `queue.Queue` that its decoder thread reads
(`RTCRtpReceiver._handle_rtp_packet` -> `__decoder_queue.put`). `tap_receiver` swaps that queue for
a tee that turns each item into a `media.frames.EncodedFrame` for the callbacks and, if decoding is
wanted, passes the item on unchanged. The end-of-stream `None` always passes, so the decoder thread
and the track still stop normally.

Call it from the peer connection's "track" event (before the receiver starts), or any time later:
the tee forwards to the original queue, so it works whether the decoder thread already holds it.
"""

from __future__ import annotations

import logging
import queue
import time
from collections.abc import Callable
from typing import Any, Protocol

from aiortc import RTCRtpReceiver

from media.aiortc_internals import RECEIVER_DECODER_QUEUE, decoder_queue, replace_decoder_queue
from media.frames import EncodedFrame, MediaKind, is_h264_keyframe, is_vp8_keyframe

log = logging.getLogger(__name__)

FrameCallback = Callable[[EncodedFrame], None]

_CODEC_NAMES = {"vp8": "VP8", "h264": "H264", "opus": "opus"}


class CodecParameters(Protocol):
    """The parts of aiortc's RTCRtpCodecParameters the tap reads."""

    mimeType: str
    clockRate: int


def describe_codec(codec: CodecParameters) -> tuple[MediaKind, str, int]:
    """(kind, codec name, clock rate) of a receiver's codec parameters."""
    kind_text, _, subtype = codec.mimeType.partition("/")
    kind: MediaKind = "video" if kind_text.lower() == "video" else "audio"
    return kind, _CODEC_NAMES.get(subtype.lower(), subtype), codec.clockRate


def is_keyframe(kind: MediaKind, name: str, data: bytes) -> bool:
    """Whether an encoded frame decodes on its own."""
    if name == "VP8":
        return is_vp8_keyframe(data)
    if name == "H264":
        return is_h264_keyframe(data)
    return kind == "audio"  # every audio packet decodes on its own


def encoded_frame_from(codec: CodecParameters, data: bytes, timestamp: int, arrival: float) -> EncodedFrame:
    """Build an EncodedFrame from a receiver's codec parameters and one reassembled frame."""
    kind, name, clock_rate = describe_codec(codec)
    return EncodedFrame(kind=kind, codec=name, data=data, timestamp=timestamp, clock_rate=clock_rate,
                        keyframe=is_keyframe(kind, name, data), arrival=arrival)


class DecoderQueueTee:
    """Stands in for a receiver's decoder queue: feeds the taps, and the decoder if any tap wants it."""

    def __init__(self, inner: queue.Queue[Any], *, decode: bool) -> None:
        self.inner = inner
        self.decode = decode
        self.callbacks: list[FrameCallback] = []
        self.frames = 0
        self.callback_errors = 0
        # Per codec object (kept, so its id stays its own): what a frame of it is, worked out once, not per frame.
        self._codecs: dict[int, tuple[object, MediaKind, str, int]] = {}

    def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
        """Called by aiortc with (codec, JitterFrame), or None at the end of the stream."""
        if item is None:
            self.inner.put(None, block, timeout)
            return
        self._tap(item)
        if self.decode:
            self.inner.put(item, block, timeout)

    def put_nowait(self, item: Any) -> None:
        """Same as put(), never blocking."""
        self.put(item, block=False)

    def get(self, block: bool = True, timeout: float | None = None) -> Any:
        """The decoder thread reads through here if it was started after the tap."""
        return self.inner.get(block, timeout)

    def get_nowait(self) -> Any:
        """Non-blocking get()."""
        return self.inner.get_nowait()

    def qsize(self) -> int:
        """Items waiting for the decoder."""
        return self.inner.qsize()

    def _tap(self, item: Any) -> None:
        arrival = time.monotonic()
        try:
            codec, jitter_frame = item
            described = self._codecs.get(id(codec))
            if described is None or described[0] is not codec:
                described = self._codecs[id(codec)] = (codec, *describe_codec(codec))
            _, kind, name, clock_rate = described
            data = bytes(jitter_frame.data)
            frame = EncodedFrame(kind=kind, codec=name, data=data, timestamp=int(jitter_frame.timestamp),
                                 clock_rate=clock_rate, keyframe=is_keyframe(kind, name, data), arrival=arrival)
        except Exception:  # an unexpected item shape must not break media reception
            self.callback_errors += 1
            log.exception("tap: cannot read decoder queue item %r", type(item))
            return
        self.frames += 1
        for callback in self.callbacks:
            try:
                callback(frame)
            except Exception:
                self.callback_errors += 1
                if self.callback_errors & (self.callback_errors - 1) == 0:
                    log.exception("tap: frame callback %r failed (%d errors so far)", callback,
                                  self.callback_errors)


def tap_receiver(receiver: RTCRtpReceiver, on_frame: FrameCallback, *, decode: bool = True) -> None:
    """Call `on_frame` with every encoded frame `receiver` reassembles (on the event loop thread).

    decode=False: frames are NOT passed to aiortc's decoder thread (passthrough only, saves the
    decode CPU; the receiver's track then yields no frames). Tapping a receiver again adds the
    callback to the same tee; frames are decoded if any tap asked for decoding.
    `on_frame` must not block; exceptions it raises are logged and counted, never propagated.
    """
    current = decoder_queue(receiver)
    if isinstance(current, DecoderQueueTee):
        current.callbacks.append(on_frame)
        current.decode = current.decode or decode
        return
    if not isinstance(current, queue.Queue):
        raise RuntimeError(
            f"cannot tap {type(receiver).__name__}: no decoder queue {RECEIVER_DECODER_QUEUE} (aiortc changed?)"
        )
    tee = DecoderQueueTee(current, decode=decode)
    tee.callbacks.append(on_frame)
    replace_decoder_queue(receiver, tee)


def tee_of(receiver: RTCRtpReceiver) -> DecoderQueueTee | None:
    """The receiver's tee (frame and error counters, callbacks), or None if it is not tapped."""
    current = decoder_queue(receiver)
    return current if isinstance(current, DecoderQueueTee) else None


def untap_receiver(receiver: RTCRtpReceiver) -> None:
    """Remove the tap: later frames go straight to the decoder queue again."""
    tee = tee_of(receiver)
    if tee is not None:
        replace_decoder_queue(receiver, tee.inner)
