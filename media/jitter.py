"""A lower-latency drop-in for aiortc's receive jitter buffer, for relaying rather than playing out.

aiortc's JitterBuffer hands a video frame over only when the FIRST packet of the NEXT frame arrives (one frame
interval, ~33 ms at 30 fps, per hop), and holds 4 audio packets (~80 ms) before releasing any. A relay does not
play out, so it need not wait: a video frame is complete when the run of packets from the buffer's origin reaches
the RTP marker bit, and an audio packet can leave as soon as it is next in sequence. The browser at the far end
keeps its own jitter buffer, which is the one that should absorb jitter.
"""

from __future__ import annotations

from aiortc import RTCRtpReceiver
from aiortc.jitterbuffer import JitterBuffer, JitterFrame
from aiortc.rtp import RtpPacket

from .aiortc_internals import jitter_buffer, jitter_buffer_settings, payload, replace_jitter_buffer

AUDIO_HOLE_WAIT = 3  # packets buffered past a missing one before the hole is given up


class RelayJitterBuffer(JitterBuffer):
    """Emits a video frame at its marker packet and audio packets at once (in order)."""

    def __init__(self, capacity: int, prefetch: int = 0, is_video: bool = False) -> None:
        super().__init__(capacity, prefetch, is_video)
        # Sequence number known to start a frame (the one after the last frame handed over). Until it is known
        # (stream start, after an overflow reset) the stock rule decides, so a frame's tail is never sent as a frame.
        self._frame_start: int | None = None

    def _remove_frame(self, sequence_number: int) -> JitterFrame | None:
        if self._origin is None:
            return None
        if not self._is_video:
            return self._next_audio_packet()
        frame = self._complete_video_frame() if self._origin == self._frame_start else None
        if frame is None:
            frame = super()._remove_frame(sequence_number)
        if frame is not None:
            self._frame_start = self._origin
        return frame

    def _complete_video_frame(self) -> JitterFrame | None:
        assert self._origin is not None
        packets: list[RtpPacket] = []
        for count in range(self._capacity):
            packet = self._packets[(self._origin + count) % self._capacity]
            if packet is None or (packets and packet.timestamp != packets[0].timestamp):
                return None  # a hole, or the frame ended without its marker: the stock rule decides
            packets.append(packet)
            if packet.marker:
                self.remove(count + 1)
                return JitterFrame(data=b"".join(payload(p) for p in packets), timestamp=packet.timestamp)
        return None

    def _next_audio_packet(self) -> JitterFrame | None:
        assert self._origin is not None
        packet = self._packets[self._origin % self._capacity]
        if packet is None:
            waiting = [i for i in range(1, self._capacity) if self._packets[(self._origin + i) % self._capacity]]
            if len(waiting) < AUDIO_HOLE_WAIT:
                return None
            self.remove(waiting[0])  # give up the hole; the packet after it goes now
            packet = self._packets[self._origin % self._capacity]
            assert packet is not None
        self.remove(1)
        return JitterFrame(data=payload(packet), timestamp=packet.timestamp)


def use_relay_jitter_buffer(receiver: RTCRtpReceiver) -> None:
    """Swap the receiver's jitter buffer for a RelayJitterBuffer of the same size (before media flows)."""
    current = jitter_buffer(receiver)
    if isinstance(current, RelayJitterBuffer):
        return
    capacity, prefetch, is_video = jitter_buffer_settings(current)
    replace_jitter_buffer(receiver, RelayJitterBuffer(capacity=capacity, prefetch=prefetch, is_video=is_video))
