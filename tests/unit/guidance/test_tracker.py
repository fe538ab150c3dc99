"""The scene tracker on synthetic camera views warped by known homographies: marks stay on the scene."""

import math

import pytest

from guidance.tracker import IDENTITY, SceneTracker, apply
from testkit.synth.scenes import Camera, project, render, textured_scene

BOX = [(0.42, 0.40), (0.58, 0.62)]
ARROW = [(0.30, 0.70), (0.45, 0.55)]
MAX_ERROR = 0.03  # of the frame (normalised distance)


@pytest.fixture(scope="module")
def scene():
    return textured_scene(seed=11)


def follow(scene, cameras, marks):
    """Anchor the marks on the first view, then track through the rest; (camera, poses by id) per later view."""
    tracker = SceneTracker()
    tracker.set_marks(marks)
    first = tracker.update(render(scene, cameras[0]))
    assert all(p.visible for p in first)
    out = []
    for i, cam in enumerate(cameras[1:], start=1):
        out.append((cam, {p.id: p for p in tracker.update(render(scene, cam, seed=i))}))
    return out


def error(pose_h, points, start, cam):
    got = apply(pose_h, points)
    want = project(points, start, cam)
    return max(math.dist(g, w) for g, w in zip(got, want, strict=True))


@pytest.mark.parametrize("path", ["pan", "rotate", "zoom", "all"])
def test_marks_stay_on_the_scene(scene, path):
    start = Camera(1200, 800)
    steps = range(1, 11)
    cameras = [start] + [{
        "pan": Camera(1200 + 27 * k, 800 - 12 * k),
        "rotate": Camera(1200, 800, angle=3.5 * k),
        "zoom": Camera(1200, 800, scale=1.5 - 0.05 * k),
        "all": Camera(1200 + 18 * k, 800 + 9 * k, angle=-2.2 * k, scale=1.5 + 0.045 * k),
    }[path] for k in steps]
    marks = {"box": BOX, "arrow": ARROW}
    worst = 0.0
    for cam, poses in follow(scene, cameras, marks):
        for mark_id, points in marks.items():
            assert poses[mark_id].visible, (path, cam)
            worst = max(worst, error(poses[mark_id].h, points, start, cam))
    assert worst < MAX_ERROR, f"{path}: worst error {worst:.4f} of the frame"
    # the scene really moved: without tracking the marks would be far off
    last = cameras[-1]
    assert max(math.dist(a, b) for a, b in zip(BOX, project(BOX, start, last), strict=True)) > 0.05


def test_mark_leaves_the_view_and_is_found_again(scene):
    start = Camera(1200, 800)
    away = [Camera(1200 + 150 * k, 800) for k in range(1, 9)]  # 1200 scene px: the region is far off the view
    back = [Camera(1200 + 150 * k, 800) for k in range(7, -1, -1)]
    results = follow(scene, [start, *away, *back], {"box": BOX})
    by_cam = [(cam, poses["box"]) for cam, poses in results]
    gone = [pose for cam, pose in by_cam if cam.cx >= 1200 + 150 * 6]
    assert gone and not any(p.visible for p in gone)
    returned = by_cam[-1][1]
    assert returned.visible and error(returned.h, BOX, start, by_cam[-1][0]) < MAX_ERROR
    for cam, pose in by_cam:  # whenever it is reported in view, it is in the right place
        if pose.visible:
            assert error(pose.h, BOX, start, cam) < MAX_ERROR


def test_blank_view_anchors_later_and_removed_marks_are_dropped(scene):
    import numpy as np

    tracker = SceneTracker()
    tracker.set_marks({"a": BOX})
    blank = np.full((360, 640, 3), 90, np.uint8)
    # nothing to anchor on yet: the mark stays where it was drawn
    assert [(p.visible, p.h) for p in tracker.update(blank)] == [(True, IDENTITY)]
    assert tracker.update(blank)[0].inliers == 0
    assert [p.visible for p in tracker.update(render(scene, Camera(1200, 800)))] == [True]
    assert tracker.update(render(scene, Camera(1200, 800)))[0].inliers >= 12  # anchored: found by its features
    assert [p.visible for p in tracker.update(blank)] == [False]  # anchored, then its texture is gone: lost
    tracker.set_marks({})
    assert tracker.update(render(scene, Camera(1200, 800))) == [] and tracker.marks == []
