"""The guidance worker's pacing: 15 tracker updates per second of video, 10.5 while it is behind (newer frames
waiting), never fewer than 10; a freeze takes the next frame whatever the pace."""

from __future__ import annotations

import numpy as np

from calls.guide import CallGuide
from testkit.synth.scenes import Camera, render, textured_scene


def updates_per_s(guide: CallGuide, frames: list[np.ndarray], behind: bool, fps: int = 30) -> float:
    guide.behind = behind
    count = 0
    for i, image in enumerate(frames):
        t = 1.0 + i / fps
        if guide.wants(t):
            tracked, _ = guide.process(image, t)
            count += tracked is not None
    return count / (len(frames) / fps)


def test_pacing_sheds_tracking_when_behind_but_keeps_ten_per_second():
    scene = textured_scene(seed=11, size=(320, 240), labels=False)
    frames = [render(scene, Camera(1200 + 2 * k, 800), view=(320, 240), seed=k) for k in range(60)]
    guide = CallGuide()
    guide.set_marks({"box": [(0.4, 0.4), (0.6, 0.6)]})
    assert 14.5 <= updates_per_s(guide, frames, behind=False) <= 15.5
    behind = updates_per_s(guide, frames, behind=True)
    assert 10.0 <= behind <= 11.0, behind
    guide.freeze("f1")  # a freeze is served by the very next frame, due or not
    assert guide.wants(99.0)
    _, frozen = guide.process(frames[0], 99.0)
    assert [f.freeze_id for f in frozen] == ["f1"] and frozen[0].jpeg_b64
