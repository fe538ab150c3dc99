"""The guidance worker follows marks in a call's real VP8 video (>= 10 updates per second) and captures frozen
frames, all off the event loop."""

from __future__ import annotations

import asyncio
import base64
import math
import time

import cv2
import numpy as np
import pytest

from calls.guidance_pool import GuidancePool
from calls.guide import FrozenFrame, TrackedPoses
from guidance.tracker import apply
from media.frames import EncodedFrame, is_vp8_keyframe
from testkit.peers import _encode_vp8
from testkit.synth.scenes import Camera, project, render, textured_scene

pytestmark = pytest.mark.slow

FPS = 30
BOX = [(0.42, 0.40), (0.58, 0.62)]


def panning_clip(seconds: float) -> tuple[list[Camera], list[bytes]]:
    scene = textured_scene(seed=5)
    cameras = [Camera(1200 + 5 * k, 800 - 2 * k, angle=0.25 * k) for k in range(round(seconds * FPS))]
    frames = [render(scene, cam, seed=k) for k, cam in enumerate(cameras)]
    return cameras, _encode_vp8(frames, FPS, 1_500_000, 90)


async def test_worker_tracks_marks_in_the_video_and_freezes_a_frame():
    cameras, packets = panning_clip(2.0)
    pool = GuidancePool()
    results: list[tuple[float, TrackedPoses | FrozenFrame]] = []
    keyframes_asked = []
    try:
        analysis = pool.guidance("s1", asyncio.get_running_loop(), lambda r: results.append((time.monotonic(), r)),
                                 lambda: keyframes_asked.append(1))
        assert not analysis.active
        assert analysis.track({"box": BOX})
        assert analysis.active and keyframes_asked  # the worker's decoder starts at a keyframe
        # the worker process starts (a call's guidance link starts it when the video goes live): wait for the
        # anchoring of the mark on the first frame before streaming at a live camera's pace
        first = packets[0]
        analysis.feed(EncodedFrame("video", "VP8", first, 0, 90000, is_vp8_keyframe(first), time.monotonic()))
        for _ in range(600):
            if results:
                break
            await asyncio.sleep(0.05)
        assert results, "the guidance worker did not answer"
        started = time.monotonic()
        for i, data in enumerate(packets[1:], start=1):
            analysis.feed(EncodedFrame("video", "VP8", data, i * 90000 // FPS, 90000, is_vp8_keyframe(data),
                                       time.monotonic()))
            if i == 45:
                assert analysis.freeze("f1")
            await asyncio.sleep(max(0.0, started + (i + 1) / FPS - time.monotonic()))  # a live camera's pace
        fed = time.monotonic() - started
        for _ in range(200):  # the worker may still be busy with the last frames
            tracked = [r for _, r in results if isinstance(r, TrackedPoses)]
            frozen = [r for _, r in results if isinstance(r, FrozenFrame)]
            if len(tracked) >= 28 and frozen:
                break
            await asyncio.sleep(0.05)
    finally:
        pool.close()
    # 15 per second of video while marks exist (the first frame anchors the mark)
    assert len(tracked) >= 10 * fed, f"{len(tracked)} updates in {fed:.1f} s"
    assert all(t.poses[0].visible for t in tracked)
    # the last update is for the last frame: the mark sits on the same scene point despite pan, rotation, VP8
    errors = []
    for update in tracked:
        want = project(BOX, cameras[0], cameras[round(update.t * FPS)])
        errors.append(max(math.dist(g, w) for g, w in zip(apply(update.poses[0].h, BOX), want, strict=True)))
    assert max(errors) < 0.03, [round(e, 3) for e in errors]
    want = project(BOX, cameras[0], cameras[-1])
    assert max(math.dist(g, w) for g, w in zip(BOX, want, strict=True)) > 0.05  # it did move
    [shot] = frozen
    assert shot.freeze_id == "f1" and shot.source == "frame" and (shot.width, shot.height) == (640, 360)
    image = cv2.imdecode(np.frombuffer(base64.b64decode(shot.jpeg_b64), np.uint8), cv2.IMREAD_COLOR)
    assert image.shape == (360, 640, 3)
