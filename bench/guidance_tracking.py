"""Scene tracker figures: accuracy on held-out synthetic camera paths, CPU per update, updates/s through the
guidance worker on real VP8 video.

    .venv/bin/python -m bench.guidance_tracking

Held-out: the unit tests use scene seed 11 (tests/unit/guidance); this uses seeds 21-23. CPU is per-thread time
(time.thread_time) with OpenCV on one thread, so other load on the machine does not inflate it.
"""

from __future__ import annotations

import asyncio
import math
import statistics
import time

import cv2

from calls.guidance_pool import GuidancePool
from calls.guide import TrackedPoses
from guidance.tracker import SceneTracker, apply
from media.frames import EncodedFrame, is_vp8_keyframe
from testkit.peers import _encode_vp8
from testkit.synth.scenes import Camera, project, render, textured_scene

MARKS = {"box": [(0.42, 0.40), (0.58, 0.62)], "arrow": [(0.30, 0.70), (0.45, 0.55)],
         "circle": [(0.65, 0.30), (0.70, 0.30)], "a": [(0.2, 0.2), (0.3, 0.3)], "b": [(0.7, 0.7), (0.8, 0.75)],
         "c": [(0.5, 0.2), (0.6, 0.25)], "d": [(0.2, 0.8), (0.3, 0.85)], "e": [(0.8, 0.2), (0.85, 0.3)]}
PATHS = {
    "pan": lambda k: Camera(1200 + 27 * k, 800 - 12 * k),
    "rotate": lambda k: Camera(1200, 800, angle=3.5 * k),
    "zoom": lambda k: Camera(1200, 800, scale=1.5 - 0.05 * k),
    "pan+rotate+zoom": lambda k: Camera(1200 + 18 * k, 800 + 9 * k, angle=-2.2 * k, scale=1.5 + 0.045 * k),
}


def accuracy() -> None:
    print("accuracy (error = distance from the true position, fraction of the frame; 10 steps per path)")
    for name, path in PATHS.items():
        errors, lost = [], 0
        for seed in (21, 22, 23):
            scene = textured_scene(seed=seed)
            tracker = SceneTracker()
            marks = {k: MARKS[k] for k in ("box", "arrow")}
            tracker.set_marks(marks)
            start = path(0)
            tracker.update(render(scene, start))
            for k in range(1, 11):
                cam = path(k)
                for pose in tracker.update(render(scene, cam, seed=k)):
                    if not pose.visible:
                        lost += 1
                        continue
                    got, want = apply(pose.h, marks[pose.id]), project(marks[pose.id], start, cam)
                    errors.append(max(math.dist(g, w) for g, w in zip(got, want, strict=True)))
        print(f"  {name:16s} median {statistics.median(errors):.4f}  worst {max(errors):.4f}  "
              f"lost {lost} of {len(errors) + lost}")
    # out of view and back: how many frames report it visible while its region is off the frame
    scene = textured_scene(seed=22)
    tracker = SceneTracker()
    tracker.set_marks({"box": MARKS["box"]})
    tracker.update(render(scene, Camera(1200, 800)))
    away = [tracker.update(render(scene, Camera(1200 + 150 * k, 800)))[0] for k in range(1, 9)]
    back = tracker.update(render(scene, Camera(1200, 800)))[0]
    print(f"  out of view: visible at offsets {[k + 1 for k, p in enumerate(away) if p.visible]} (x150 px); "
          f"back in view: visible={back.visible}")


def cpu() -> None:
    cv2.setNumThreads(1)
    print("CPU per tracker update (thread time, OpenCV 1 thread; 30 updates after anchoring)")
    scene = textured_scene(seed=21)
    for size in ((640, 360), (1280, 720)):
        frames = [render(scene, Camera(1200 + 4 * k, 800), view=size, seed=k) for k in range(31)]
        for count in (1, 3, 8):
            tracker = SceneTracker()
            tracker.set_marks(dict(list(MARKS.items())[:count]))
            tracker.update(frames[0])
            started = time.thread_time()
            for frame in frames[1:]:
                tracker.update(frame)
            per = (time.thread_time() - started) / 30
            print(f"  {size[0]}x{size[1]}  {count} mark(s): {per * 1000:.1f} ms")


async def worker_rate(seconds: float = 4.0) -> None:
    fps = 30
    scene = textured_scene(seed=23)
    frames = [render(scene, Camera(1200 + 5 * k, 800, angle=0.2 * k), view=(1280, 720), seed=k)
              for k in range(round(seconds * fps))]
    packets = _encode_vp8(frames, fps, 2_500_000, 90)
    pool = GuidancePool()
    results: list[tuple[float, TrackedPoses]] = []
    try:
        link = pool.guidance("bench", asyncio.get_running_loop(),
                             lambda r: results.append((time.monotonic(), r)) if isinstance(r, TrackedPoses) else None)
        link.track({k: MARKS[k] for k in ("box", "arrow", "circle")})
        link.feed(EncodedFrame("video", "VP8", packets[0], 0, 90000, True, time.monotonic()))
        for _ in range(1200):  # the worker process starts and anchors the marks on the first frame
            if results:
                break
            await asyncio.sleep(0.05)
        results.clear()
        started = time.monotonic()
        for i, data in enumerate(packets[1:], start=1):
            link.feed(EncodedFrame("video", "VP8", data, i * 90000 // fps, 90000, is_vp8_keyframe(data),
                                   time.monotonic()))
            await asyncio.sleep(max(0.0, started + i / fps - time.monotonic()))
        await asyncio.sleep(0.5)
        span = results[-1][0] - started
        cpu_ms = statistics.mean(r.cpu_s for _, r in results) * 1000
        print(f"guidance worker, 1280x720 VP8 at {fps} fps, 3 marks, {seconds:.0f} s live: {len(results) / span:.1f} "
              f"updates/s, tracker CPU {cpu_ms:.1f} ms per update (worker thread time), "
              f"{link.dropped} frames dropped")
    finally:
        pool.close()


if __name__ == "__main__":
    accuracy()
    cpu()
    asyncio.run(worker_rate())
