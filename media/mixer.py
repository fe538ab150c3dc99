"""Audio mixing for calls with more than two voices (an invited expert): decode Opus, mix, let aiortc encode.

With one technician the call's audio is pure passthrough. Once a second technician joins, every listener gets
a mix of the other voices instead (N-1 mixing), since a listener's browser plays the one audio track it was
negotiated; decoding and re-encoding a few 20 ms Opus frames costs far less than video would.
"""

from __future__ import annotations

import asyncio
import collections
import fractions
import logging
import time

import av
import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from .frames import EncodedFrame

log = logging.getLogger(__name__)

RATE = 48000
CHUNK = 960  # 20 ms
MAX_BUFFERED = 5  # chunks a voice may run ahead before its oldest audio is dropped (bounds the added delay)


class VoiceBuffer:
    """One speaker's decoded audio, in 20 ms mono chunks, fed with that speaker's Opus frames."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._decoder = av.CodecContext.create("opus", "r")
        self._resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
        self._pending = np.zeros(0, np.int16)
        # (sequence number, chunk): several listeners' mixes read the same voice, each at its own cursor
        self._chunks: collections.deque[tuple[int, np.ndarray]] = collections.deque(maxlen=MAX_BUFFERED)
        self._next_seq = 0
        self.errors = 0

    def push(self, frame: EncodedFrame) -> None:
        """Decode an Opus frame into the buffer (corrupt frames are counted and skipped)."""
        if frame.kind != "audio":
            return
        try:
            for decoded in self._decoder.decode(av.Packet(frame.data)):
                for mono in self._resampler.resample(decoded):
                    self._pending = np.concatenate([self._pending, mono.to_ndarray().reshape(-1)])
        except (av.error.FFmpegError, ValueError):
            self.errors += 1
            return
        while self._pending.size >= CHUNK:
            self._chunks.append((self._next_seq, self._pending[:CHUNK]))
            self._next_seq += 1
            self._pending = self._pending[CHUNK:]

    def read(self, cursor: int) -> tuple[np.ndarray | None, int]:
        """The 20 ms at or after `cursor` and the cursor after it; (None, cursor) if nothing new has arrived.

        A reader that fell behind the buffer skips to the oldest chunk still held (bounded delay)."""
        for seq, chunk in self._chunks:
            if seq >= cursor:
                return chunk, seq + 1
        return None, cursor


class MixTrack(MediaStreamTrack):
    """An audio track of other voices, mixed every 20 ms in real time."""

    kind = "audio"

    def __init__(self, voices: list[VoiceBuffer]) -> None:
        super().__init__()
        self.voices = voices
        self._cursors = [0] * len(voices)
        self._start: float | None = None
        self._pts = 0

    async def recv(self) -> av.AudioFrame:
        """The next 20 ms mix (silence when nobody speaks)."""
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.monotonic()
        else:
            self._pts += CHUNK
            delay = self._start + self._pts / RATE - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
        mix = np.zeros(CHUNK, np.int32)
        for i, voice in enumerate(self.voices):
            chunk, self._cursors[i] = voice.read(self._cursors[i])
            if chunk is not None:
                mix += chunk
        frame = av.AudioFrame.from_ndarray(np.clip(mix, -32768, 32767).astype(np.int16).reshape(1, -1),
                                           format="s16", layout="mono")
        frame.sample_rate = RATE
        frame.pts = self._pts
        frame.time_base = fractions.Fraction(1, RATE)
        return frame
