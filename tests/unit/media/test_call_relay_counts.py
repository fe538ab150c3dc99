"""Per-call relay counters (issue 15: the UDP fuzz tells the attacked call's relay from a bystander's)."""

from __future__ import annotations

import time

from media.call import CallMedia
from media.frames import EncodedFrame, MediaKind


def frame(kind: MediaKind, keyframe: bool = True) -> EncodedFrame:
    return EncodedFrame(kind, "VP8" if kind == "video" else "opus", b"x", 3000, 90000 if kind == "video" else 48000,
                        keyframe, time.monotonic())


async def test_each_call_counts_its_own_frames_in_and_out():
    attacked, bystander = CallMedia("s-attacked"), CallMedia("s-bystander")
    track = attacked.customer_video.subscribe()
    for _ in range(5):
        attacked.customer_video.push(frame("video"))
    attacked.customer_audio.push(frame("audio"))
    for _ in range(3):
        await track.recv()
    track.stop()  # a subscriber that left still counts for the frames it took
    later = attacked.customer_video.subscribe()
    attacked.customer_video.push(frame("video"))
    await later.recv()
    assert attacked.relay_frames() == {"audio": (1, 0), "video": (6, 4)}
    assert bystander.relay_frames() == {"audio": (0, 0), "video": (0, 0)}
