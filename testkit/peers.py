"""Synthetic WebRTC participants (aiortc) that send PRE-ENCODED media, so the client side costs almost no CPU.

Used by the capacity bench and by integration tests: a customer sends a looping VP8 clip plus Opus audio; a
technician receives without decoding and timestamps what arrives. Frames are identified by a hash of their
bytes, which passthrough preserves exactly, so send->receive latency is measured per frame.
"""

from __future__ import annotations

import asyncio
import collections
import fractions
import hashlib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import av
import numpy as np
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamTrack

from media.aiortc_internals import on_keyframe_request
from media.frames import EncodedFrame
from media.jitter import use_relay_jitter_buffer
from media.tap import tap_receiver

VIDEO_CLOCK = 90000
AUDIO_CLOCK = 48000


@dataclass(frozen=True)
class EncodedClip:
    """A looping pre-encoded clip: VP8 frames at 30 fps and 20 ms Opus packets."""

    video: list[bytes]
    video_key: list[bytes]  # the same frames, each encoded as a keyframe (sent after a PLI)
    audio: list[bytes]
    width: int
    height: int
    fps: int = 30


def encode_clip(frames: Iterable[np.ndarray], *, fps: int = 30, bitrate: int = 1_500_000,
                keyframe_interval: int = 60, audio_seconds: float | None = None) -> EncodedClip:
    """Encode BGR frames to VP8 (libvpx, realtime) and a 440 Hz tone to Opus, once."""
    frames = list(frames)
    video = _encode_vp8(frames, fps, bitrate, keyframe_interval)
    video_key = _encode_vp8(frames, fps, bitrate * 3, 1)
    audio = encode_tone(audio_seconds if audio_seconds is not None else len(frames) / fps)
    h, w = frames[0].shape[:2]
    return EncodedClip(video, video_key, audio, w, h, fps)


def encode_tone(seconds: float, hz: float = 440.0) -> list[bytes]:
    """A sine tone as 20 ms Opus packets (a synthetic voice)."""
    actx = av.CodecContext.create("libopus", "w")
    actx.sample_rate = AUDIO_CLOCK
    actx.layout = "stereo"
    actx.format = "s16"
    actx.bit_rate = 32000
    audio: list[bytes] = []
    n = int(seconds * 50)
    for i in range(n):
        t = (np.arange(960) + i * 960) / AUDIO_CLOCK
        tone = (np.sin(2 * np.pi * hz * t) * 8000).astype(np.int16)
        af = av.AudioFrame.from_ndarray(np.repeat(tone, 2).reshape(1, -1), format="s16",  # interleaved L R
                                        layout="stereo")
        af.sample_rate = AUDIO_CLOCK
        af.pts = i * 960
        audio += [bytes(p) for p in actx.encode(af)]
    return audio


def moving_bar_clip(keyframe_interval: int, seconds: float = 2.0) -> EncodedClip:
    """A small test clip: a bar moving across 640x360 at 30 fps (VP8 ~600 kbit/s)."""
    frames = []
    for i in range(int(seconds * 30)):
        img = np.full((360, 640, 3), 60, np.uint8)
        img[100:260, (i * 6) % 480:(i * 6) % 480 + 160] = (30, 200, 240)
        frames.append(img)
    return encode_clip(frames, bitrate=600_000, keyframe_interval=keyframe_interval)


def _encode_vp8(frames: list[np.ndarray], fps: int, bitrate: int, keyframe_interval: int) -> list[bytes]:
    h, w = frames[0].shape[:2]
    vctx = av.CodecContext.create("libvpx", "w")
    vctx.width, vctx.height = w, h
    vctx.pix_fmt = "yuv420p"
    vctx.time_base = fractions.Fraction(1, fps)
    vctx.framerate = fractions.Fraction(fps, 1)
    vctx.bit_rate = bitrate
    vctx.gop_size = keyframe_interval
    vctx.options = {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0", "error-resilient": "1"}
    out: list[bytes] = []
    for i, img in enumerate(frames):
        vf = av.VideoFrame.from_ndarray(img, format="bgr24").reformat(format="yuv420p")
        vf.pts = i
        out += [bytes(p) for p in vctx.encode(vf)]
    out += [bytes(p) for p in vctx.encode(None)]
    return out


class LoopingEncodedTrack(MediaStreamTrack):
    """Replays pre-encoded frames in real time as av.Packet (aiortc packs them without encoding)."""

    def __init__(self, kind: str, packets: list[bytes], clock_rate: int, step: int, period_s: float,
                 on_sent: Callable[[bytes, float], None] | None = None, key_packets: list[bytes] | None = None) -> None:
        super().__init__()
        self.kind = kind
        self._packets = packets
        self._key_packets = key_packets
        self._want_key = False
        self.keyframes_on_request = 0
        self._clock_rate = clock_rate
        self._step = step
        self._period = period_s
        self._on_sent = on_sent
        self._i = 0
        self._start: float | None = None

    async def recv(self) -> av.Packet:
        """Next packet, paced to real time."""
        if self._start is None:
            self._start = time.monotonic()
        due = self._start + self._i * self._period
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        data = self._packets[self._i % len(self._packets)]
        if self._want_key and self._key_packets is not None:
            # A receiver lost the picture (PLI): send this frame as a keyframe, as a real encoder would.
            self._want_key = False
            self.keyframes_on_request += 1
            data = self._key_packets[self._i % len(self._key_packets)]
        packet = av.Packet(data)
        packet.pts = self._i * self._step
        packet.time_base = fractions.Fraction(1, self._clock_rate)
        self._i += 1
        if self._on_sent is not None:
            self._on_sent(data, time.monotonic())
        return packet


    def request_keyframe(self) -> None:
        """Installed as the sender's keyframe hook: the next frame goes out as a keyframe."""
        self._want_key = True


def tone_levels(opus_payloads: Iterable[bytes], tones: Iterable[float]) -> dict[float, float]:
    """Share of the audio's energy near each tone (+-30 Hz) in decoded Opus: who can be heard in a mix."""
    decoder = av.CodecContext.create("opus", "r")
    chunks = [frame.to_ndarray()[0] for data in opus_payloads for frame in decoder.decode(av.Packet(data))]
    tones = list(tones)
    if not chunks:
        return {hz: 0.0 for hz in tones}
    signal = np.concatenate(chunks).astype(np.float64)
    power = np.abs(np.fft.rfft(signal * np.hanning(signal.size))) ** 2
    freqs = np.fft.rfftfreq(signal.size, 1 / AUDIO_CLOCK)
    total = float(power.sum()) or 1.0
    return {hz: float(power[np.abs(freqs - hz) <= 30].sum()) / total for hz in tones}


def frame_key(data: bytes) -> bytes:
    """Identity of an encoded frame across the relay."""
    return hashlib.blake2b(data, digest_size=12).digest()


@dataclass
class LatencyBook:
    """Send times by frame identity, and measured send->receive latencies."""

    sent: dict[bytes, float] = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list)

    def on_sent(self, data: bytes, when: float) -> None:
        self.sent[frame_key(data)] = when

    def on_received(self, data: bytes, when: float) -> None:
        sent = self.sent.get(frame_key(data))
        if sent is not None and when >= sent:
            self.latencies_ms.append((when - sent) * 1000.0)


Answerer = Callable[[str], "asyncio.Future[str] | asyncio.Task[str] | object"]


# No ICE servers at all: with none given, aiortc gathers through a public STUN server, and benches and tests
# send traffic only to loopback.
LOOPBACK_ONLY = RTCConfiguration(iceServers=[])


class _SyntheticPeer:
    """An aiortc peer that offers to the server and applies its answer."""

    pc: RTCPeerConnection

    async def offer(self) -> str:
        """Create and apply a local offer; returns its SDP (candidates included)."""
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return str(self.pc.localDescription.sdp)

    async def accept(self, answer_sdp: str) -> None:
        """Apply the server's answer."""
        await self.pc.setRemoteDescription(RTCSessionDescription(answer_sdp, "answer"))

    async def close(self) -> None:
        """Close the peer connection."""
        await self.pc.close()


class SyntheticCustomer(_SyntheticPeer):
    """An aiortc customer that sends the clip's video and audio."""

    def __init__(self, clip: EncodedClip, book: LatencyBook | None = None, *, video: bool = True) -> None:
        self.pc = RTCPeerConnection(LOOPBACK_ONLY)
        self.book = book
        self.audio = LoopingEncodedTrack("audio", clip.audio, AUDIO_CLOCK, 960, 0.02)
        self.pc.addTrack(self.audio)
        self.video: LoopingEncodedTrack | None = None
        if video:
            self.video = LoopingEncodedTrack("video", clip.video, VIDEO_CLOCK, VIDEO_CLOCK // clip.fps,
                                             1.0 / clip.fps, on_sent=book.on_sent if book else None,
                                             key_packets=clip.video_key)
            sender = self.pc.addTrack(self.video)
            on_keyframe_request(sender, self.video.request_keyframe)
        self.audio_payloads: collections.deque[bytes] = collections.deque(maxlen=250)  # last 5 s of Opus heard
        self.pc.on("track", self._on_track)

    def _on_track(self, track: MediaStreamTrack) -> None:
        for t in self.pc.getTransceivers():
            if t.receiver.track is track and track.kind == "audio":
                tap_receiver(t.receiver, lambda f: self.audio_payloads.append(f.data), decode=False)


class SyntheticTechnician(_SyntheticPeer):
    """An aiortc technician that receives audio and video WITHOUT decoding, counting and timing frames."""

    def __init__(self, book: LatencyBook | None = None, *, voice: list[bytes] | None = None) -> None:
        self.pc = RTCPeerConnection(LOOPBACK_ONLY)
        self.book = book
        self.video_frames: list[float] = []
        self.audio_frames = 0
        self.audio_payloads: collections.deque[bytes] = collections.deque(maxlen=250)  # last 5 s of Opus heard
        self.keyframes = 0
        if voice is not None:  # a technician who talks (pre-encoded Opus)
            self.pc.addTrack(LoopingEncodedTrack("audio", voice, AUDIO_CLOCK, 960, 0.02))
        else:
            self.pc.addTransceiver("audio", direction="recvonly")
        self.pc.addTransceiver("video", direction="recvonly")
        self.pc.on("track", self._on_track)

    def _on_track(self, track: MediaStreamTrack) -> None:
        for t in self.pc.getTransceivers():
            if t.receiver.track is track:
                # Like a browser, hand a frame over at its last packet, not one frame later.
                use_relay_jitter_buffer(t.receiver)
                tap_receiver(t.receiver, self._on_frame, decode=False)

    def _on_frame(self, frame: EncodedFrame) -> None:
        if frame.kind == "audio":
            self.audio_frames += 1
            self.audio_payloads.append(frame.data)
            return
        self.video_frames.append(frame.arrival)
        self.keyframes += int(frame.keyframe)
        if self.book is not None:
            self.book.on_received(frame.data, frame.arrival)

    def fps(self, window_s: float, now: float | None = None) -> float:
        """Video frames per second received over the last window."""
        now = time.monotonic() if now is None else now
        return sum(1 for t in self.video_frames if now - t <= window_s) / window_s
