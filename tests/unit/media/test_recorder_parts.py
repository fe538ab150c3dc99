"""The recorder's parts: header checks, track timing, H264 remux, session ids."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import av
import pytest

from media.frames import EncodedFrame
from media.recorder import SessionRecorder
from media.recording.bitstream import (
    InvalidFrame,
    h264_parameter_sets,
    inspect_frame,
    inspect_opus,
    inspect_vp8,
)
from media.recording.layout import check_session_id
from media.recording.timeline import TrackClock
from testkit.synthetic_media import as_frames, encode_h264, encode_opus, encode_vp8


def test_vp8_keyframe_header_gives_the_picture_size() -> None:
    units = encode_vp8(320, 240, seconds=0.2, keyint=30)
    facts = inspect_vp8(units[0].data, claimed_keyframe=True)
    assert (facts.keyframe, facts.width, facts.height) == (True, 320, 240)
    assert inspect_vp8(units[1].data, claimed_keyframe=False).keyframe is False
    with pytest.raises(InvalidFrame, match="says interframe"):
        inspect_vp8(units[1].data, claimed_keyframe=True)
    with pytest.raises(InvalidFrame, match="shorter"):
        inspect_vp8(b"\x00", claimed_keyframe=False)
    with pytest.raises(InvalidFrame, match="version"):
        inspect_vp8(b"\x0e\x00\x00" + bytes(20), claimed_keyframe=False)


@pytest.mark.parametrize(
    ("packet", "duration"),
    [
        (bytes([0x78]) + bytes(40), 20.0),  # CELT 20 ms, one frame (what browsers send)
        (bytes([0x08 | 0x01]) + bytes(40), 40.0),  # SILK 20 ms, two frames
        (bytes([0xF8 | 0x03, 0x03]) + bytes(40), 60.0),  # CELT 20 ms, code 3, three frames
    ],
)
def test_opus_toc_gives_the_packet_duration(packet: bytes, duration: float) -> None:
    assert inspect_opus(packet).duration_ms == duration


def test_opus_packets_that_break_the_rfc_are_rejected() -> None:
    with pytest.raises(InvalidFrame, match="frame count"):
        inspect_opus(bytes([0x03]))
    with pytest.raises(InvalidFrame, match="120 ms"):
        inspect_opus(bytes([0x18 | 0x03, 0x3F]) + bytes(10))  # 48 x 60 ms
    real = encode_opus(seconds=0.1)[0].data
    assert inspect_opus(real).duration_ms == 20.0


def test_h264_keyframes_need_parameter_sets() -> None:
    units = encode_h264(320, 240, seconds=0.2, keyint=30)
    key = EncodedFrame("video", "H264", units[0].data, 0, 90000, True, 0.0)
    assert inspect_frame(key).keyframe
    sets = h264_parameter_sets(units[0].data)
    assert sets.startswith(b"\x00\x00\x00\x01\x67") and b"\x00\x00\x00\x01\x68" in sets
    with pytest.raises(InvalidFrame, match="Annex-B"):
        inspect_frame(EncodedFrame("video", "H264", b"\x65" * 20, 0, 90000, False, 0.0))


def test_track_clock_follows_rtp_time_and_smooths_jitter() -> None:
    clock = TrackClock(90000)
    first = clock.place(1000, 0.50)
    assert first.resynced and first.seconds == 0.50
    # 3000 ticks = 33.3 ms later in RTP time, arriving 45 ms later (network jitter): RTP spacing wins.
    assert clock.place(4000, 0.545).seconds == pytest.approx(0.5333, abs=1e-3)
    # A frame that came through faster than the first one pulls the anchor earlier, by at most a
    # quarter frame (8.3 ms) at a time.
    assert clock.place(7000, 0.55).seconds == pytest.approx(0.5667 - 0.0083, abs=1e-3)
    assert clock.place(10000, 0.60).seconds == pytest.approx(0.5917, abs=1e-3)


def test_track_clock_reanchors_on_rtp_jumps_and_long_pauses() -> None:
    clock = TrackClock(90000)
    clock.place(0, 1.0)
    jumped = clock.place(2_000_000_000, 1.04)  # new SSRC: RTP time leaps ahead
    assert jumped.rtp_jump and jumped.seconds == pytest.approx(1.04)
    back = clock.place(5, 1.08)  # RTP time going backwards is a new stream too
    assert back.rtp_jump and back.seconds == pytest.approx(1.08)
    paused = clock.place(5 + 3000, 4.0)  # sender paused its RTP clock for ~3 s: not a new stream
    assert paused.resynced and not paused.rtp_jump and paused.seconds == pytest.approx(4.0)


def test_session_ids_must_be_one_safe_path_component() -> None:
    assert check_session_id("S-42_a.b") == "S-42_a.b"
    for bad in ("", "../x", "a/b", ".hidden", "x" * 200, "a..b"):
        with pytest.raises(ValueError):
            check_session_id(bad)


def ffprobe(path: Path) -> dict:
    out = subprocess.run(["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", str(path)],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)


async def test_h264_is_remuxed_into_matroska(tmp_path) -> None:
    video = encode_h264(640, 360, fps=30, seconds=1.5, keyint=30)
    audio = encode_opus(seconds=1.5)
    recorder = SessionRecorder(tmp_path, "s-h264")
    recorder.start()
    t0 = recorder.started_at
    assert t0 is not None
    frames = sorted([*as_frames(video, kind="video", start_arrival=t0 + 0.1, codec="H264"),
                     *as_frames(audio, kind="audio", start_arrival=t0)], key=lambda f: f.arrival)
    for frame in frames:
        recorder.push("customer", frame)
    info = await recorder.close()
    assert info.path.suffix == ".mkv"  # WebM cannot carry H264
    probe = ffprobe(info.path)
    codecs = [(s["codec_name"], s.get("width")) for s in probe["streams"]]
    assert codecs == [("h264", 640), ("opus", None)]
    assert abs(float(probe["format"]["duration"]) - 1.6) < 0.5
    with av.open(str(info.path)) as container:
        assert sum(1 for _ in container.decode(video=0)) == len(video)
    assert info.poster_path is not None


def test_track_clock_converges_after_a_late_first_frame_without_bunching_frames() -> None:
    clock = TrackClock(90000)
    clock.place(0, 2.0)  # a big first keyframe that came 1.5 s late; the rest arrive on time
    placed = [clock.place(3000 * k, 0.5 + k / 30) for k in range(1, 400)]
    assert not any(p.rtp_jump or p.resynced for p in placed)
    spacing = [b.seconds - a.seconds for a, b in zip(placed, placed[1:], strict=False)]
    assert min(spacing) >= 0.75 / 30 - 1e-9  # never closer than 3/4 of the frame interval
    assert placed[-1].seconds == pytest.approx(0.5 + 399 / 30, abs=1e-6)  # caught up with arrival
