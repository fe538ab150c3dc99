"""SessionRecorder end to end on real VP8/Opus frames encoded with PyAV: the finalised file plays."""

from __future__ import annotations

import dataclasses
import json
import logging
import subprocess
from pathlib import Path

import av
import numpy as np
import pytest

from media.frames import EncodedFrame
from media.recorder import EmptyRecording, SessionRecorder, recover
from testkit.synthetic_media import EncodedUnit, as_frames, encode_opus, encode_vp8

Push = tuple[str, EncodedFrame]


@pytest.fixture(scope="module")
def clip_360p() -> list[EncodedUnit]:
    return encode_vp8(640, 360, fps=30, seconds=2.0, keyint=60)


@pytest.fixture(scope="module")
def clip_720p() -> list[EncodedUnit]:
    return encode_vp8(1280, 720, fps=15, seconds=2.0, keyint=15)


@pytest.fixture(scope="module")
def voice() -> list[EncodedUnit]:
    return encode_opus(seconds=8.0)


@pytest.fixture(scope="module")
def voice_660() -> list[EncodedUnit]:
    return encode_opus(seconds=2.0, frequency=660.0)


def ffprobe(path: Path) -> dict:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json", str(path)],
        capture_output=True, text=True, check=True,
    ).stdout
    return json.loads(out)


def decode_video(path: Path) -> list[tuple[float, int, int]]:
    """(time, width, height) of every decoded picture; raises if the stream does not decode."""
    with av.open(str(path)) as container:
        return [(float(f.time), f.width, f.height) for f in container.decode(video=0)]


def in_arrival_order(*streams: list[Push]) -> list[Push]:
    return sorted((p for s in streams for p in s), key=lambda p: p[1].arrival)


def tagged(source: str, frames) -> list[Push]:
    return [(source, f) for f in frames]


def mix_samples(path: Path) -> tuple[float, np.ndarray]:
    """Start time and mono samples of the "mix" track."""
    with av.open(str(path)) as container:
        stream = next(s for s in container.streams.audio if s.metadata.get("title") == "mix")
        frames = list(container.decode(stream))
    assert frames[0].time is not None
    return float(frames[0].time), np.concatenate([f.to_ndarray().reshape(-1) for f in frames])


def tone_strength(samples: np.ndarray, frequency: float) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    bins = np.fft.rfftfreq(len(samples), 1 / 48000)
    return float(spectrum[np.argmin(np.abs(bins - frequency))] / np.median(spectrum))


async def test_audio_and_video_tracks_play_with_the_right_duration(tmp_path, clip_360p, voice, voice_660) -> None:
    recorder = SessionRecorder(tmp_path, "s-basic")
    recorder.start()
    t0 = recorder.started_at
    assert t0 is not None
    pushes = in_arrival_order(
        tagged("customer", as_frames(voice[:150], kind="audio", start_arrival=t0 + 0.1, rtp_origin=5000)),
        tagged("customer", as_frames(clip_360p, kind="video", start_arrival=t0 + 0.3, rtp_origin=777)),
        tagged("technician:a", as_frames(voice_660[:100], kind="audio", start_arrival=t0 + 0.5, rtp_origin=9)),
        tagged("technician:b", as_frames(voice[:50], kind="audio", start_arrival=t0 + 1.0, rtp_origin=1)),
    )
    for source, frame in pushes:
        recorder.push(source, frame)
    assert recorder.offset_of(t0 + 1.25) == pytest.approx(1.25)
    assert recorder.offset_of(t0 - 3) == 0.0
    info = await recorder.close()

    probe = ffprobe(info.path)
    expected_end = 0.1 + 150 * 0.020  # the customer's audio ends last
    assert abs(float(probe["format"]["duration"]) - expected_end) < 0.5
    assert info.path.suffix == ".webm" and probe["format"]["format_name"].startswith("matroska")
    titles = [(s["codec_type"], s["codec_name"], s["tags"]["title"]) for s in probe["streams"]]
    assert titles == [
        ("video", "vp8", "customer"),
        ("audio", "opus", "mix"),  # for browsers, which play one audio track: the default one
        ("audio", "opus", "customer"),
        ("audio", "opus", "technician"),
        ("audio", "opus", "technician"),
    ]
    assert [s["disposition"]["default"] for s in probe["streams"]] == [1, 1, 0, 0, 0]
    mix_start, mixed = mix_samples(info.path)
    assert mix_start == pytest.approx(0.1, abs=0.03)
    assert len(mixed) / 48000 == pytest.approx(3.0, abs=0.1)
    both = mixed[round(0.9 * 48000) : round(1.9 * 48000)]  # customer (440 Hz) and technician a (660 Hz)
    assert 0.3 < tone_strength(both, 660) / tone_strength(both, 440) < 3  # both voices, at like levels
    customer_only = mixed[round(2.6 * 48000) : round(2.9 * 48000)]  # technician a stopped at 2.5 s
    assert tone_strength(customer_only, 660) < tone_strength(customer_only, 440) / 50
    pictures = decode_video(info.path)
    assert len(pictures) == len(clip_360p)
    assert pictures[0][0] == pytest.approx(0.3, abs=0.002)  # placed at its arrival offset
    assert info.has_video and info.has_audio and info.duration_s > 2.0
    assert info.poster_path is not None
    with av.open(str(info.poster_path)) as poster:
        image = next(poster.decode(video=0))
        assert (image.width, image.height) == (640, 360)
    assert not list((info.path.parent / "segments").glob("*")) if (info.path.parent / "segments").exists() else True
    assert recorder.stats.frames_written == len(pushes) and recorder.stats.segments_written >= 2


async def test_a_video_frames_arrival_maps_to_where_it_sits_in_the_file(tmp_path, clip_360p) -> None:
    """A finding's moment comes from the arrival of the frame it was read in: it must be where that frame sits
    in the file, even when jitter smoothing placed the frame away from its arrival (here: after a late first
    keyframe the next frames sit later than they arrived)."""
    recorder = SessionRecorder(tmp_path, "s-moment")
    recorder.start()
    t0 = recorder.started_at
    assert t0 is not None
    frames = list(as_frames(clip_360p, kind="video", start_arrival=t0 + 0.3, rtp_origin=777))
    late = dataclasses.replace(frames[0], arrival=frames[0].arrival + 0.21)  # a big keyframe comes in late
    frames = [late, *frames[1:]]
    for frame in frames:
        recorder.push("customer", frame)
    info = await recorder.close()

    pictures = [t for t, _, _ in decode_video(info.path)]
    offsets = [recorder.offset_of(f.arrival) for f in frames]
    assert offsets == pytest.approx(pictures, abs=1e-9)
    # on the plain arrival clock the frames after the late one point before themselves, at earlier pictures
    assert max(t - (f.arrival - t0) for f, t in zip(frames, pictures, strict=True)) > 0.1
    assert recorder.offset_of(t0 + 5.0) == pytest.approx(5.0)  # an instant that is not a frame: by the clock


@pytest.mark.slow  # encodes 720p video
async def test_video_gap_resolution_change_and_ssrc_restart_give_one_file(
    tmp_path, clip_360p, clip_720p, voice
) -> None:
    recorder = SessionRecorder(tmp_path, "s-switch")
    recorder.start()
    t0 = recorder.started_at
    assert t0 is not None
    # 0.2-2.2 s camera on; 2.2-3.7 s camera off (audio goes on); 3.7-5.7 s back on, same RTP clock;
    # from 5.7 s a camera switch: new SSRC (RTP jumps), 1280x720, and its first keyframe was lost.
    first_on = as_frames(clip_360p, kind="video", start_arrival=t0 + 0.2, rtp_origin=1000)
    back_on = as_frames(clip_360p, kind="video", start_arrival=t0 + 3.7, rtp_origin=1000 + int(3.5 * 90000))
    switched = list(as_frames(clip_720p, kind="video", start_arrival=t0 + 5.7, rtp_origin=3_000_000_000))
    assert switched[0].keyframe and switched[15].keyframe and not any(f.keyframe for f in switched[1:15])
    pushes = in_arrival_order(
        tagged("customer", as_frames(voice, kind="audio", start_arrival=t0 + 0.1)),
        tagged("customer", first_on),
        tagged("customer", back_on),
        tagged("customer", switched[1:]),  # keyframe lost: must wait for the next one (at +1.0 s)
    )
    for source, frame in pushes:
        recorder.push(source, frame)
    info = await recorder.close()

    pictures = decode_video(info.path)
    sizes = [(w, h) for _, w, h in pictures]
    assert sizes[0] == (640, 360) and sizes[-1] == (1280, 720)
    assert sizes.count((640, 360)) == 2 * len(clip_360p)
    assert sizes.count((1280, 720)) == len(switched) - 15  # from the second keyframe on
    times = [t for t, _, _ in pictures]
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert max(gaps) == pytest.approx(3.7 - (0.2 + clip_360p[-1].media_time), abs=0.01)  # the off period
    first_720 = next(t for t, w, _ in pictures if w == 1280)
    assert first_720 == pytest.approx(5.7 + 1.0, abs=0.01)
    assert recorder.stats.skipped["waiting for a keyframe"] == 14
    with av.open(str(info.path)) as container:  # seekable: a seek lands on the keyframe before the target
        stream = container.streams.video[0]
        assert stream.time_base is not None
        container.seek(round(7.2 / stream.time_base), stream=stream)
        landed = next(container.decode(stream))
        assert landed.width == 1280 and 6.6 < float(landed.time) <= 7.2
    probe = ffprobe(info.path)
    expected_end = 0.1 + voice[-1].media_time + 0.02
    assert abs(float(probe["format"]["duration"]) - expected_end) < 0.5
    assert [s["codec_type"] for s in probe["streams"]] == ["video", "audio"]


async def test_corrupt_input_is_skipped_with_a_logged_reason(tmp_path, clip_360p, voice, caplog) -> None:
    recorder = SessionRecorder(tmp_path, "s-corrupt")
    recorder.start()
    t0 = recorder.started_at
    assert t0 is not None
    good = in_arrival_order(
        tagged("customer", as_frames(clip_360p[:30], kind="video", start_arrival=t0 + 0.1)),
        tagged("customer", as_frames(voice[:50], kind="audio", start_arrival=t0 + 0.1)),
    )

    def bad(kind, codec, data, keyframe=True) -> EncodedFrame:
        return EncodedFrame(kind=kind, codec=codec, data=data, timestamp=45000, clock_rate=90000,
                            keyframe=keyframe, arrival=t0 + 0.5)

    garbage: list[tuple[str, EncodedFrame]] = [
        ("customer", bad("video", "VP8", b"\x00" + b"\xff" * 400)),  # garbage flagged keyframe
        ("customer", bad("video", "VP8", b"\x50\x02\x00" + b"garbage!" * 10)),  # keyframe without start code
        ("customer", bad("video", "VP8", b"")),  # empty
        ("customer", bad("audio", "opus", b"")),
        ("customer", bad("video", "VP9", b"\x82\x49\x83")),  # wrong codec
        ("customer", bad("audio", "PCMU", b"\xff" * 160)),
        ("customer", bad("audio", "VP8", b"\x10\x02\x00abc")),  # kind and codec disagree
        ("customer", bad("video", "H264", b"\x00\x00\x00\x01\x65garbage")),  # IDR without SPS/PPS
        ("customer", bad("video", "H264", b"\x00\x00\x00\x01\x41\x9agarbage", keyframe=False)),  # codec changed
        ("technician:x", bad("video", "VP8", bytes(clip_360p[0].data))),  # technician video not recorded
        ("customer", "not a frame"),  # type: ignore[list-item]
    ]
    caplog.set_level(logging.WARNING, logger="media.recording.writer")
    for index, push in enumerate(good):
        recorder.push(*push)
        if index == 20:
            for source, frame in garbage:
                recorder.push(source, frame)
    with pytest.raises(ValueError):
        recorder.push("somebody", good[0][1])
    info = await recorder.close()

    stats = recorder.stats
    assert stats.frames_written == len(good)
    assert sum(stats.skipped.values()) == len(garbage)
    reasons = " | ".join(stats.skipped)
    for fragment in ("empty frame data", "VP9", "PCMU", "audio codec 'VP8'", "technician video",
                     "not an EncodedFrame", "codec changed", "start code", "overruns", "SPS/PPS"):
        assert fragment in reasons or fragment in caplog.text, fragment
    assert "skipped" in caplog.text
    assert len(decode_video(info.path)) == 30
    assert info.has_audio


async def test_queue_is_bounded_and_drops_are_counted(tmp_path, clip_360p, voice) -> None:
    # A byte bound below one keyframe: keyframes can never be queued, so video must wait for one
    # that never comes, while small audio packets still pass. Memory stays bounded by construction.
    bound = min(len(u.data) for u in clip_360p if u.keyframe) - 1
    assert max(len(u.data) for u in voice) < bound
    recorder = SessionRecorder(tmp_path, "s-full", max_queue_bytes=bound)
    recorder.start()
    t0 = recorder.started_at
    assert t0 is not None
    for source, frame in in_arrival_order(
        tagged("customer", as_frames(clip_360p, kind="video", start_arrival=t0)),
        tagged("customer", as_frames(voice[:100], kind="audio", start_arrival=t0)),
    ):
        recorder.push(source, frame)
    info = await recorder.close()
    assert recorder.stats.dropped_queue_full >= 1
    assert not info.has_video and info.has_audio and info.poster_path is None


async def test_empty_recording_raises_and_recover_skips_it(tmp_path) -> None:
    recorder = SessionRecorder(tmp_path, "s-empty")
    recorder.start()
    with pytest.raises(EmptyRecording):
        await recorder.close()
    assert recover(tmp_path) == []
    assert json.loads((tmp_path / "s-empty" / "manifest.json").read_text())["state"] == "empty"


def test_bad_arguments_are_rejected(tmp_path) -> None:
    with pytest.raises(ValueError):
        SessionRecorder(tmp_path, "../escape")
    with pytest.raises(ValueError):
        SessionRecorder(tmp_path, "ok", segment_seconds=5)
    recorder = SessionRecorder(tmp_path, "s-args")
    with pytest.raises(RuntimeError):
        recorder.offset_of(0.0)


async def test_recover_finalises_an_abandoned_recording_but_not_a_live_one(tmp_path, clip_360p, voice) -> None:
    live = SessionRecorder(tmp_path, "s-live")
    live.start()
    abandoned = SessionRecorder(tmp_path, "s-abandoned")
    abandoned.start()
    t0 = abandoned.started_at
    assert t0 is not None
    for source, frame in in_arrival_order(
        tagged("customer", as_frames(clip_360p, kind="video", start_arrival=t0)),
        tagged("customer", as_frames(voice[:100], kind="audio", start_arrival=t0)),
    ):
        abandoned.push(source, frame)
        live.push(source, frame)
    # Simulate the process dying: the writer stops, nothing finalises, the folder lock goes away.
    writer = abandoned._writer
    assert writer is not None
    writer.stop()
    assert abandoned._layout is not None
    abandoned._layout.unlock()

    recovered = recover(tmp_path)
    assert [r.session_id for r in recovered] == ["s-abandoned"]
    assert recovered[0].has_video and abs(recovered[0].duration_s - 2.0) < 0.5
    assert len(decode_video(recovered[0].path)) == len(clip_360p)
    assert recover(tmp_path) == []  # idempotent; the live one is still skipped
    info = await live.close()
    assert info.has_video


async def test_recording_a_session_again_keeps_the_earlier_recording(tmp_path, voice) -> None:
    infos = []
    for extra in (0, 50):
        recorder = SessionRecorder(tmp_path, "s-again")
        recorder.start()
        t0 = recorder.started_at
        assert t0 is not None
        for frame in as_frames(voice[: 50 + extra], kind="audio", start_arrival=t0):
            recorder.push("customer", frame)
        infos.append(await recorder.close())
    first, second = infos
    assert first.session_id == second.session_id == "s-again"
    assert first.path.parent.name == "s-again" and second.path.parent.name == "s-again.2"
    assert first.path.exists() and second.path.exists()
    assert first.duration_s == pytest.approx(1.0, abs=0.1) and second.duration_s == pytest.approx(2.0, abs=0.1)
