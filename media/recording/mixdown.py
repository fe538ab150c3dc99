"""A mixed audio track, made once at finalise, for players that play only one audio track.

Browsers' <video> plays the first (default) audio track only, so the review page would hear the
customer but not the technician. The separate Opus tracks are kept as received; this adds one more
track, "mix": every audio track decoded, summed on the recording timeline and Opus-encoded. It runs
once per session, off the event loop, streaming (memory stays a few seconds of samples).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, cast

import av
import numpy as np
from av.audio.stream import AudioStream
from av.container import OutputContainer
from av.packet import Packet

from media.recording.templates import opus_head

RATE = 48000
_HOLD_SAMPLES = 3 * RATE  # tracks arrive ~1 s segment by segment: mix what is 3 s behind the newest
_BLOCK = 960  # 20 ms, the Opus frame
_WRITE_CHUNK = RATE  # encode a second at a time: fewer, larger calls


class AudioMixdown:
    """Decodes several Opus tracks and writes their sum as a new Opus stream of `output`."""

    def __init__(self, output: OutputContainer, title: str = "mix") -> None:
        stream = cast(AudioStream, output.add_stream("libopus", rate=RATE))
        stream.layout = "mono"
        stream.bit_rate = 32000
        # Cheapest Opus settings: the mix is for listening during review; the originals stay intact.
        stream.codec_context.options = {"compression_level": "0", "application": "voip"}
        stream.metadata["title"] = title
        self._output = output
        self.stream = stream
        self._decoders: dict[str, Any] = {}
        self._buffer = np.zeros(0, np.float32)
        self._origin: int | None = None  # absolute sample of _buffer[0]
        self._newest = 0  # absolute sample just after the newest decoded audio

    def feed(self, key: str, packet: Packet) -> None:
        """Decode one Opus packet of track `key` (pts in its time base) into the mix."""
        if packet.pts is None or packet.time_base is None:
            return
        decoder = self._decoders.get(key)
        if decoder is None:
            decoder = av.CodecContext.create("opus", "r")
            decoder.extradata = opus_head()
            self._decoders[key] = decoder
        start = round(packet.pts * packet.time_base * RATE)
        try:
            frames = decoder.decode(av.Packet(bytes(packet)))
        except av.FFmpegError:
            return  # a damaged packet is a short silence in the mix, the original track keeps it
        for frame in frames:
            samples = frame.to_ndarray().astype(np.float32).mean(axis=0)
            self._add(start, samples)
            start += len(samples)
        if self._origin is not None and self._newest - _HOLD_SAMPLES - self._origin >= _WRITE_CHUNK:
            self._write_until(self._newest - _HOLD_SAMPLES)

    def finish(self) -> None:
        """Mix and encode everything still held, and flush the encoder."""
        self._write_until(self._newest)
        for packet in self.stream.encode(None):
            self._output.mux(packet)

    def _add(self, start: int, samples: np.ndarray) -> None:
        if self._origin is None:
            self._origin = start
        offset = start - self._origin
        if offset < 0:  # older than what was already encoded: too late for the mix
            samples = samples[-offset:]
            offset = 0
        end = offset + len(samples)
        if end > len(self._buffer):
            grown = np.zeros(max(end, 2 * len(self._buffer)), np.float32)
            grown[: len(self._buffer)] = self._buffer
            self._buffer = grown
        self._buffer[offset:end] += samples
        self._newest = max(self._newest, self._origin + end)

    def _write_until(self, until: int) -> None:
        if self._origin is None:
            return
        count = (until - self._origin) // _BLOCK * _BLOCK
        if count <= 0:
            return
        mixed = np.clip(self._buffer[:count], -1.0, 1.0)
        frame = av.AudioFrame.from_ndarray(mixed[None, :], format="flt", layout="mono")
        frame.sample_rate = RATE
        frame.pts = self._origin
        frame.time_base = Fraction(1, RATE)
        for packet in self.stream.encode(frame):
            self._output.mux(packet)
        self._buffer = self._buffer[count:].copy()
        self._origin += count
