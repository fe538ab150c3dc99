"""CPU per recorded 720p30 session: lensdesk's remuxing recorder vs aiortc's MediaRecorder, in one run.

    .venv/bin/python -m bench.recording_cost [--seconds 20]

One session = customer VP8 720p30 at ~1.5 Mbps + customer Opus + technician Opus. Media is fed
faster than real time; the process CPU time (all threads, user + system: time.process_time)
spent per second of media is the share of a core one live session costs. MediaRecorder needs
decoded frames: they are decoded beforehand (not counted; its decode cost is printed apart).
"""

from __future__ import annotations

import argparse
import asyncio
import fractions
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
from aiortc import MediaStreamTrack
from aiortc.contrib.media import MediaRecorder
from aiortc.mediastreams import MediaStreamError

from media.frames import EncodedFrame
from media.recorder import SessionRecorder
from testkit.synthetic_media import (
    AUDIO_CLOCK,
    OPUS_FRAME_SAMPLES,
    VIDEO_CLOCK,
    EncodedUnit,
    encode_opus,
    encode_vp8,
)

FPS = 30
CLIP_SECONDS = 3.0  # encoded once, looped (each loop starts on a keyframe)


def session_frames(video: list[EncodedUnit], audio: list[EncodedUnit], seconds: float, t0: float
                   ) -> Iterator[tuple[str, EncodedFrame]]:
    """The frames of one session in arrival order, starting at monotonic time t0."""
    video_count = round(seconds * FPS)
    audio_count = round(seconds * AUDIO_CLOCK / OPUS_FRAME_SAMPLES)
    pushes: list[tuple[str, EncodedFrame]] = []
    for i in range(video_count):
        unit = video[i % len(video)]
        pushes.append(("customer", EncodedFrame("video", "VP8", unit.data, i * VIDEO_CLOCK // FPS, VIDEO_CLOCK,
                                                unit.keyframe, t0 + i / FPS)))
    for source in ("customer", "technician:1"):
        for i in range(audio_count):
            unit = audio[i % len(audio)]
            pushes.append((source, EncodedFrame("audio", "opus", unit.data, i * OPUS_FRAME_SAMPLES, AUDIO_CLOCK,
                                                True, t0 + i * OPUS_FRAME_SAMPLES / AUDIO_CLOCK)))
    pushes.sort(key=lambda p: p[1].arrival)
    return iter(pushes)


def measure_lensdesk(video: list[EncodedUnit], audio: list[EncodedUnit], seconds: float, directory: Path
                     ) -> tuple[float, float, int]:
    """(CPU s recording, CPU s finalising, file bytes) for one session."""
    recorder = SessionRecorder(directory, "bench")
    cpu0 = time.process_time()
    recorder.start()
    t0 = recorder.started_at or time.monotonic()
    pushed = 0
    next_check = t0 + 1.0
    for source, frame in session_frames(video, audio, seconds, t0):
        if frame.arrival >= next_check:
            _wait_drained(recorder, pushed)  # keep the bounded queue from overflowing: no drops
            next_check += 1.0
        recorder.push(source, frame)
        pushed += 1
    _wait_drained(recorder, pushed)
    cpu_record = time.process_time() - cpu0
    cpu1 = time.process_time()
    info = recorder.close_sync()
    cpu_finalise = time.process_time() - cpu1
    stats = recorder.stats
    if stats.dropped_queue_full or stats.skipped or stats.write_errors:
        raise RuntimeError(f"bench recording lost frames: {stats}")
    return cpu_record, cpu_finalise, info.size_bytes


def measure_pacing_only(video: list[EncodedUnit], audio: list[EncodedUnit], seconds: float) -> float:
    """CPU s of the live-pacing loop alone (sleeping until each arrival), to subtract from the live figure."""
    cpu0 = time.process_time()
    t0 = time.monotonic() + 0.05
    for _source, frame in session_frames(video, audio, seconds, t0):
        delay = frame.arrival - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    return time.process_time() - cpu0


def measure_lensdesk_live(video: list[EncodedUnit], audio: list[EncodedUnit], seconds: float, directory: Path
                          ) -> float:
    """CPU s of one session recorded live-paced (frames pushed at their arrival time), finalise excluded."""
    recorder = SessionRecorder(directory, "bench-live")
    cpu0 = time.process_time()
    recorder.start()
    t0 = (recorder.started_at or time.monotonic()) + 0.05
    for source, frame in session_frames(video, audio, seconds, t0):
        delay = frame.arrival - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        recorder.push(source, frame)
    _wait_drained(recorder, recorder.stats.frames_received)
    cpu = time.process_time() - cpu0
    recorder.close_sync()
    return cpu


def _wait_drained(recorder: SessionRecorder, pushed: int) -> None:
    while recorder.stats.frames_written + sum(recorder.stats.skipped.values()) < pushed:
        time.sleep(0.002)


class DecodedTrack(MediaStreamTrack):
    """Feeds pre-decoded frames with running timestamps, as fast as MediaRecorder takes them."""

    def __init__(self, kind: str, frames: list[av.VideoFrame] | list[av.AudioFrame], count: int) -> None:
        super().__init__()
        self.kind = kind
        self._frames = frames
        self._count = count
        self._index = 0
        self.done = asyncio.Event()

    async def recv(self) -> av.VideoFrame | av.AudioFrame:
        if self._index >= self._count:
            self.done.set()
            raise MediaStreamError
        frame = self._frames[self._index % len(self._frames)]
        if self.kind == "video":
            frame.pts = self._index * VIDEO_CLOCK // FPS
            frame.time_base = fractions.Fraction(1, VIDEO_CLOCK)
        else:
            frame.pts = self._index * OPUS_FRAME_SAMPLES
            frame.time_base = fractions.Fraction(1, AUDIO_CLOCK)
        self._index += 1
        if self._index % 10 == 0:
            await asyncio.sleep(0)  # let the other tracks' tasks run, as live input would
        return frame


async def measure_media_recorder(path: Path, pictures: list[av.VideoFrame], sounds: list[av.AudioFrame],
                                 seconds: float) -> float:
    """CPU s for aiortc's MediaRecorder to record one session into `path`."""
    tracks = [
        DecodedTrack("video", pictures, round(seconds * FPS)),
        DecodedTrack("audio", sounds, round(seconds * AUDIO_CLOCK / OPUS_FRAME_SAMPLES)),
        DecodedTrack("audio", sounds, round(seconds * AUDIO_CLOCK / OPUS_FRAME_SAMPLES)),
    ]
    cpu0 = time.process_time()
    recorder = MediaRecorder(str(path))
    for track in tracks:
        recorder.addTrack(track)
    await recorder.start()
    for track in tracks:
        await track.done.wait()
    await recorder.stop()
    return time.process_time() - cpu0


def decode_all(units: list[EncodedUnit], codec: str) -> list:
    """Decode a clip (what aiortc's receiver does before MediaRecorder sees a frame)."""
    decoder: Any = av.CodecContext.create(codec, "r")
    frames: list = []
    for unit in units:
        frames.extend(decoder.decode(av.Packet(unit.data)))
    return frames


def main() -> None:
    """Run both recorders on the same session and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="media seconds per session")
    parser.add_argument("--skip-webm", action="store_true", help="skip MediaRecorder .webm (slowest)")
    parser.add_argument("--live", action="store_true", help="also record one session live-paced (real time)")
    args = parser.parse_args()
    seconds: float = args.seconds

    print(f"encoding a {CLIP_SECONDS:.0f} s 1280x720@{FPS} VP8 clip (~1.5 Mbps) and Opus audio ...", flush=True)
    video = encode_vp8(1280, 720, fps=FPS, seconds=CLIP_SECONDS, bitrate=1_500_000, keyint=90)
    audio = encode_opus(seconds=CLIP_SECONDS)
    kbps = sum(len(u.data) for u in video) * 8 / CLIP_SECONDS / 1000
    cpu0 = time.process_time()
    pictures = decode_all(video, "vp8")
    decode_share = (time.process_time() - cpu0) / CLIP_SECONDS
    sounds = decode_all(audio, "opus")

    rows: list[tuple[str, float, int]] = []
    with tempfile.TemporaryDirectory(prefix="lensdesk-bench-") as tmp:
        cpu_record, cpu_finalise, size = measure_lensdesk(video, audio, seconds, Path(tmp))
        rows.append(("lensdesk SessionRecorder (remux)", cpu_record, size))
        pacing = 0.0
        if args.live:
            pacing = measure_pacing_only(video, audio, seconds)
            live = measure_lensdesk_live(video, audio, seconds, Path(tmp)) - pacing
            rows.append(("lensdesk, live-paced (net of pacing)", live, size))
        for suffix in (".mp4", ".webm"):
            if suffix == ".webm" and args.skip_webm:
                continue
            target = Path(tmp) / f"media-recorder{suffix}"
            cpu = asyncio.run(measure_media_recorder(target, pictures, sounds, seconds))
            rows.append((f"aiortc MediaRecorder {suffix}", cpu, target.stat().st_size))

    base = rows[0][1]
    print(f"\nsession: VP8 1280x720@{FPS} {kbps:.0f} kbit/s + 2 x Opus, {seconds:.0f} s of media\n")
    print(f"{'recorder':36} {'CPU s':>8} {'% of a core':>12} {'vs lensdesk':>12} {'file MB':>8}")
    for name, cpu, size in rows:
        print(f"{name:36} {cpu:8.3f} {100 * cpu / seconds:11.2f}% {cpu / base:11.1f}x {size / 1e6:8.2f}")
    print(f"\nlensdesk finalise (once per session: concat, audio mix, poster): {cpu_finalise:.3f} CPU s")
    if args.live:
        print(f"live pacing loop alone (subtracted above): {pacing:.3f} CPU s")
    print(f"VP8 720p decode MediaRecorder also needs (not counted above): {100 * decode_share:.1f}% of a core")


if __name__ == "__main__":
    main()
