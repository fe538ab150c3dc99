"""FrameDecoder: decodes from a keyframe on, converts only wanted frames, survives garbage and gaps."""

import numpy as np

from media.analysis_decoder import FrameDecoder
from media.frames import EncodedFrame, is_vp8_keyframe
from testkit.peers import moving_bar_clip


def frames(clip_video: list[bytes]) -> list[EncodedFrame]:
    return [EncodedFrame("video", "VP8", d, i * 3000, 90000, is_vp8_keyframe(d), float(i)) for i, d in
            enumerate(clip_video)]


def test_only_wanted_frames_are_converted():
    clip = moving_bar_clip(keyframe_interval=30, seconds=1.0)
    dec = FrameDecoder()
    out = [img for f in frames(clip.video) for img, t in dec.decode(f, lambda t: int(t * 30) % 10 == 0)]
    assert dec.decoded == 30 and dec.converted == 3 == len(out)
    assert out[0].shape == (360, 640, 3) and out[0].dtype == np.uint8


def test_garbage_and_gaps_wait_for_the_next_keyframe():
    clip = moving_bar_clip(keyframe_interval=15, seconds=1.0)
    seq = frames(clip.video)
    dec = FrameDecoder()
    # starts mid-GOP: nothing until a keyframe
    assert list(dec.decode(seq[3], lambda t: True)) == []
    assert dec.decoded == 0
    assert len(list(dec.decode(seq[0], lambda t: True))) == 1
    garbage = EncodedFrame("video", "VP8", b"\x00\x01garbage" * 10, 3000, 90000, True, 1.0)
    list(dec.decode(garbage, lambda t: True))
    assert dec.errors == 1
    assert list(dec.decode(seq[1], lambda t: True)) == []  # not a keyframe: still waiting
    dec.gap()
    assert len(list(dec.decode(seq[15], lambda t: True))) == 1  # the next keyframe resumes decoding
    audio = EncodedFrame("audio", "opus", b"\x00", 0, 48000, True, 0.0)
    assert list(dec.decode(audio, lambda t: True)) == []
