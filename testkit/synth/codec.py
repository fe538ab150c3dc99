"""Real video compression of clips: encode with libvpx (VP8) or libx264 (H.264) through PyAV."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import av
import numpy as np
from av.video.stream import VideoStream

CODECS = {"vp8": ("libvpx", ".webm"), "h264": ("libx264", ".mp4")}


def _options(codec: str, kbps: int) -> dict[str, str]:
    if codec == "vp8":  # what a WebRTC sender runs: realtime deadline, no look-ahead
        return {"deadline": "realtime", "cpu-used": "12", "lag-in-frames": "0", "error-resilient": "1"}
    return {"preset": "veryfast", "tune": "zerolatency", "profile": "baseline"}


def encode_clip(frames: list[np.ndarray], path: Path, codec: str, kbps: int, fps: int) -> Path:
    """Encode BGR frames into a file at a target bitrate; returns the path (suffix by container)."""
    name, suffix = CODECS[codec]
    path = path.with_suffix(suffix)
    h, w = frames[0].shape[:2]
    with av.open(str(path), "w") as container:
        stream = cast(VideoStream, container.add_stream(name, rate=fps, options=_options(codec, kbps)))
        stream.width, stream.height = w, h
        stream.pix_fmt = "yuv420p"
        stream.bit_rate = kbps * 1000
        stream.codec_context.gop_size = fps * 4  # WebRTC sends keyframes rarely
        for img in frames:
            frame = av.VideoFrame.from_ndarray(img, format="bgr24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


def decode_clip(path: Path) -> list[tuple[float, np.ndarray]]:
    """(timestamp seconds, BGR frame) for every frame of a video file."""
    out = []
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            t = float(frame.time) if frame.time is not None else len(out) / 30.0
            out.append((t, frame.to_ndarray(format="bgr24")))
    return out
