"""Frame validation: garbage in gives a FrameError, good frames come out as contiguous BGR."""

import numpy as np
import pytest

from diagnostics.errors import FrameError
from diagnostics.frames import validate_frame


@pytest.mark.parametrize(
    "bad",
    [
        None,
        [[0, 1], [2, 3]],
        np.zeros((0, 0, 3), np.uint8),
        np.zeros((100, 100, 3), np.float32),
        np.zeros((100, 100, 3), np.uint16),
        np.zeros((100, 100, 2), np.uint8),
        np.zeros((100, 100, 3, 1), np.uint8),
        np.zeros((10, 10, 3), np.uint8),
        np.zeros((100,), np.uint8),
    ],
)
def test_garbage_frames_raise_frame_error(bad):
    with pytest.raises(FrameError):
        validate_frame(bad)


def test_grey_and_bgra_frames_become_bgr():
    grey = np.full((40, 60), 128, np.uint8)
    assert validate_frame(grey).shape == (40, 60, 3)
    bgra = np.zeros((40, 60, 4), np.uint8)
    assert validate_frame(bgra).shape == (40, 60, 3)


def test_non_contiguous_view_is_made_contiguous():
    big = np.zeros((100, 200, 3), np.uint8)
    view = big[:, ::2]
    out = validate_frame(view)
    assert out.flags["C_CONTIGUOUS"] and out.shape == (100, 100, 3)
