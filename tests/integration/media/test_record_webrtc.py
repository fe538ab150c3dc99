"""A session recorded through REAL WebRTC (aiortc peers over loopback) plays with ffprobe."""

from __future__ import annotations

import asyncio
import fractions
import json
import math
import subprocess
import time
from pathlib import Path

import av
import numpy as np
import pytest
from aiortc import MediaStreamTrack, RTCConfiguration, RTCPeerConnection, RTCRtpReceiver

from media.frames import EncodedFrame
from media.recorder import SessionRecorder
from media.tap import tap_receiver, tee_of

pytestmark = pytest.mark.slow


class MovingPicture(MediaStreamTrack):
    """A 640x360 camera stand-in at 30 fps with motion, paced in real time."""

    kind = "video"

    def __init__(self) -> None:
        super().__init__()
        self._index = 0
        self._start: float | None = None

    async def recv(self) -> av.VideoFrame:
        if self._start is None:
            self._start = time.monotonic()
        due = self._start + self._index / 30
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        rgb = np.zeros((360, 640, 3), np.uint8)
        rgb[:, :, 1] = 80
        x = (self._index * 8) % 600
        rgb[:, x : x + 40, :] = 255
        frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
        frame.pts = self._index * 3000
        frame.time_base = fractions.Fraction(1, 90000)
        self._index += 1
        return frame


class Sine(MediaStreamTrack):
    """A 20 ms-paced 48 kHz sine, as a microphone would deliver."""

    kind = "audio"

    def __init__(self, frequency: float) -> None:
        super().__init__()
        self._frequency = frequency
        self._index = 0
        self._start: float | None = None

    async def recv(self) -> av.AudioFrame:
        if self._start is None:
            self._start = time.monotonic()
        due = self._start + self._index * 0.02
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        t = (np.arange(960) + self._index * 960) / 48000
        samples = (np.sin(2 * math.pi * self._frequency * t) * 6000).astype(np.int16)
        frame = av.AudioFrame.from_ndarray(samples[None, :], format="s16", layout="mono")
        frame.sample_rate = 48000
        frame.pts = self._index * 960
        frame.time_base = fractions.Fraction(1, 48000)
        self._index += 1
        return frame


async def _connect(client: RTCPeerConnection, server: RTCPeerConnection) -> None:
    await client.setLocalDescription(await client.createOffer())
    await server.setRemoteDescription(client.localDescription)
    await server.setLocalDescription(await server.createAnswer())
    await client.setRemoteDescription(server.localDescription)


def _receiver_of(pc: RTCPeerConnection, track: MediaStreamTrack) -> RTCRtpReceiver:
    return next(t.receiver for t in pc.getTransceivers() if t.receiver.track is track)


def _ffprobe(path: Path) -> dict:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json", str(path)],
        capture_output=True, text=True, check=True,
    ).stdout
    return json.loads(out)


@pytest.mark.serial  # the video's end is held to the last arrival within 0.5 s: a timing assertion, run alone
async def test_session_recorded_through_webrtc_plays_with_ffprobe(tmp_path: Path) -> None:
    recorder = SessionRecorder(tmp_path, "webrtc-session")
    recorder.start()
    arrivals: list[float] = []
    flowing = asyncio.Event()

    def sink(source: str):
        def on_frame(frame: EncodedFrame) -> None:  # runs on the event loop thread
            arrivals.append(frame.arrival)
            if len(arrivals) >= 10:
                flowing.set()
            recorder.push(source, frame)
        return on_frame

    customer, server_c, technician, server_t = (RTCPeerConnection(RTCConfiguration(iceServers=[])) for _ in range(4))
    tapped: list[RTCRtpReceiver] = []

    @server_c.on("track")
    def on_customer_track(track: MediaStreamTrack) -> None:
        receiver = _receiver_of(server_c, track)
        tap_receiver(receiver, sink("customer"), decode=False)
        tapped.append(receiver)

    @server_t.on("track")
    def on_technician_track(track: MediaStreamTrack) -> None:
        receiver = _receiver_of(server_t, track)
        tap_receiver(receiver, sink("technician:t1"), decode=False)
        tapped.append(receiver)

    customer.addTrack(MovingPicture())
    customer.addTrack(Sine(440))
    technician.addTrack(Sine(660))
    try:
        await _connect(customer, server_c)
        await _connect(technician, server_t)
        await asyncio.wait_for(flowing.wait(), timeout=15)
        first = min(arrivals)
        await asyncio.sleep(4.0)
    finally:
        for pc in (customer, technician, server_c, server_t):
            await pc.close()
    info = await recorder.close()

    assert len(tapped) == 3
    assert all(tee_of(r) is not None and tee_of(r).frames > 0 for r in tapped)
    expected_end = max(arrivals) - recorder.started_at  # type: ignore[operator]
    probe = _ffprobe(info.path)
    duration = float(probe["format"]["duration"])
    assert abs(duration - expected_end) < 0.5, (duration, expected_end)
    assert abs(info.duration_s - duration) < 0.01
    assert max(arrivals) - first > 3.5  # we really recorded about 4 s of live media
    streams = probe["streams"]
    kinds = sorted((s["codec_type"], s["codec_name"], s["tags"]["title"]) for s in streams)
    assert kinds == [("audio", "opus", "customer"), ("audio", "opus", "mix"), ("audio", "opus", "technician"),
                     ("video", "vp8", "customer")]
    video = next(s for s in streams if s["codec_type"] == "video")
    assert (video["width"], video["height"]) == (640, 360)
    assert info.has_video and info.has_audio and info.size_bytes == info.path.stat().st_size
    assert info.poster_path is not None and info.poster_path.read_bytes()[:2] == b"\xff\xd8"

    # Every packet decodes, and the video covers the time it was sent.
    with av.open(str(info.path)) as container:
        decoded = 0
        last_video = 0.0
        for frame in container.decode(video=0):
            decoded += 1
            last_video = float(frame.time)
    assert decoded >= 90
    assert abs(last_video - expected_end) < 0.5
    assert recorder.stats.frames_written > 300
