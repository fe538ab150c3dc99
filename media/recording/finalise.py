"""Turning a folder of segments into one seekable file with a poster, and recovering after a crash."""

from __future__ import annotations

import logging
import os
import shutil
from dataclasses import asdict
from pathlib import Path

import av
from av.container import InputContainer, OutputContainer
from av.stream import Disposition, Stream

from atrest.sealed import AtRestKey, SealedFileError, create, open_for_reading, plain_size
from media.recording.info import EmptyRecording, RecordingError, RecordingInfo
from media.recording.layout import MANIFEST, RecordingLayout, RecordingLocked, fsync_directory
from media.recording.mixdown import AudioMixdown
from media.recording.poster import write_poster
from media.recording.segments import TRACK_TAG

log = logging.getLogger(__name__)

_WEBM_CODECS = frozenset({"vp8", "vp9", "av1", "opus", "vorbis"})


def _track_key(stream: Stream) -> str:
    return stream.metadata.get(TRACK_TAG) or f"stream{stream.index}/{stream.type}"


def _track_order(key: str) -> tuple[int, str]:
    """Video first, then the customer's audio, then technicians: what players pick by default."""
    if key.endswith("/video"):
        return (0, key)
    return (1 if key.startswith("customer/") else 2, key)


def _open_segment(path: Path, key: AtRestKey | None) -> InputContainer | None:
    # A sealed segment a crash left unfinished is read up to its last whole chunk (what a plain one would give).
    # A missing or wrong key is not a damaged segment: it stops finalising with its clear error.
    try:
        source = open_for_reading(path, key, unfinished_ok=True)
    except FileNotFoundError as exc:
        log.warning("recording segment %s is gone, skipped: %s", path, exc)
        return None
    try:
        return av.open(source, "r")
    except (av.FFmpegError, OSError) as exc:
        source.close()
        log.warning("recording segment %s is unreadable, skipped: %s", path, exc)
        return None


def _survey(segments: list[Path], key: AtRestKey | None) -> dict[str, tuple[Path, str]]:
    """Every track in the segments: key -> (first segment holding it, codec name)."""
    found: dict[str, tuple[Path, str]] = {}
    for path in segments:
        container = _open_segment(path, key)
        if container is None:
            continue
        with container:
            for stream in container.streams:
                if stream.type in ("audio", "video"):
                    found.setdefault(_track_key(stream), (path, stream.codec_context.name))
    return found


def _declare_streams(output: OutputContainer, tracks: dict[str, tuple[Path, str]], keys: list[str],
                     at_rest: AtRestKey | None) -> dict[str, Stream]:
    streams: dict[str, Stream] = {}
    for key in keys:
        container = _open_segment(tracks[key][0], at_rest)
        if container is None:
            continue
        with container:
            template = next(s for s in container.streams if _track_key(s) == key)
            stream = output.add_stream_from_template(template)
            stream.metadata["title"] = template.metadata.get("title", key.split("/")[0])
            stream.metadata[TRACK_TAG] = key
            streams[key] = stream
    return streams


def _copy_packets(
    output: OutputContainer, streams: dict[str, Stream], segments: list[Path], mixdown: AudioMixdown | None,
    at_rest: AtRestKey | None,
) -> int:
    """Remux every segment's packets in order; a truncated segment contributes what is readable."""
    last_dts: dict[str, int] = {}
    copied = 0
    for path in segments:
        container = _open_segment(path, at_rest)
        if container is None:
            continue
        with container:
            keys = {s.index: _track_key(s) for s in container.streams}
            try:
                for packet in container.demux():
                    key = keys.get(packet.stream.index, "")
                    if packet.dts is None or packet.size == 0 or key not in streams:
                        continue
                    if packet.dts <= last_dts.get(key, -1):
                        continue  # overlap from a salvaged segment; timestamps must increase
                    last_dts[key] = packet.dts
                    if mixdown is not None and packet.stream.type == "audio":
                        mixdown.feed(key, packet)
                    packet.stream = streams[key]
                    output.mux_one(packet)
                    copied += 1
            except (av.FFmpegError, OSError, SealedFileError) as exc:
                log.warning("recording segment %s ends early (%s); kept what was readable", path, exc)
    return copied


def _set_defaults(
    streams: dict[str, Stream], video_keys: list[str], audio_keys: list[str], mixdown: AudioMixdown | None
) -> None:
    """Mark the first video and the mix (else the first audio) as the default tracks, no others."""
    first_video = streams.get(video_keys[0]) if video_keys else None
    first_audio = mixdown.stream if mixdown is not None else streams.get(audio_keys[0]) if audio_keys else None
    everything = [*streams.values(), *([mixdown.stream] if mixdown is not None else [])]
    for stream in everything:
        chosen = stream is first_video or stream is first_audio
        stream.disposition = Disposition.default if chosen else Disposition(0)


def concatenate(segments: list[Path], target_stem: Path, *, mix_audio: bool = True, key: AtRestKey | None = None
                ) -> Path:
    """Remux `segments` into one seekable file next to `target_stem` (.webm, or .mkv if needed).

    With `mix_audio` and two or more audio tracks, a "mix" track (all voices) comes first and is
    the default one, since browsers play only one audio track; the separate tracks follow.
    """
    tracks = _survey(segments, key)
    if not tracks:
        raise EmptyRecording(f"no readable media in {len(segments)} segment(s)")
    webm = all(codec in _WEBM_CODECS for _, codec in tracks.values())
    target = target_stem.with_suffix(".webm" if webm else ".mkv")
    partial = target.with_name(target.name + ".tmp")
    keys = sorted(tracks, key=_track_order)
    video_keys = [k for k in keys if k.endswith("/video")]
    audio_keys = [k for k in keys if not k.endswith("/video")]
    sink = create(partial, key) if key is not None else None
    with av.open(sink or str(partial), "w", format="webm" if webm else "matroska") as output:
        streams = _declare_streams(output, tracks, video_keys, key)
        mixdown = AudioMixdown(output) if mix_audio and len(audio_keys) >= 2 else None
        streams |= _declare_streams(output, tracks, audio_keys, key)
        _set_defaults(streams, video_keys, audio_keys, mixdown)
        copied = _copy_packets(output, streams, segments, mixdown, key)
        if mixdown is not None and copied:
            mixdown.finish()
    if sink is not None:
        sink.close()
    if copied == 0:
        partial.unlink(missing_ok=True)
        raise EmptyRecording("segments hold no packets")
    with open(partial, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(partial, target)
    fsync_directory(target.parent)
    return target


def describe(path: Path, session_id: str, poster: Path | None, key: AtRestKey | None = None) -> RecordingInfo:
    """Duration, size (of the plaintext: what a download gives) and stream kinds of a finalised file."""
    with open_for_reading(path, key) as source, av.open(source, "r") as container:
        duration = (container.duration or 0) / 1_000_000
        has_video = bool(container.streams.video)
        has_audio = bool(container.streams.audio)
    return RecordingInfo(
        path=path,
        duration_s=round(duration, 3),
        size_bytes=plain_size(path, key),
        poster_path=poster,
        has_video=has_video,
        has_audio=has_audio,
        session_id=session_id,
    )


def finalise(layout: RecordingLayout, *, poster_at: float | None = None, mix_audio: bool = True,
             key: AtRestKey | None = None) -> RecordingInfo:
    """Concatenate a recording's segments, make its poster, mark it final and remove the segments."""
    manifest = layout.read_manifest()
    if manifest.get("state") == "final":
        return _info_from_manifest(layout, manifest)
    segments = layout.segment_files()
    try:
        target = concatenate(segments, layout.root / "recording", mix_audio=mix_audio, key=key)
    except EmptyRecording:
        layout.write_manifest({**manifest, "session_id": layout.session_id, "state": "empty"})
        raise
    poster: Path | None = None
    try:
        poster = write_poster(target, layout.poster_path, at=poster_at, key=key)
    except (av.FFmpegError, OSError, ValueError) as exc:
        log.warning("recording %s: no poster image: %s", layout.session_id, exc)
    info = describe(target, layout.session_id, poster, key)
    record = {k: str(v) if isinstance(v, Path) else v for k, v in asdict(info).items()}
    layout.write_manifest({**manifest, "session_id": layout.session_id, "state": "final", "info": record})
    shutil.rmtree(layout.segments, ignore_errors=True)
    return info


def _info_from_manifest(layout: RecordingLayout, manifest: dict[str, object]) -> RecordingInfo:
    record = manifest.get("info")
    if not isinstance(record, dict):
        raise RecordingError(f"manifest of {layout.root} is final but has no info")
    poster = record.get("poster_path")
    return RecordingInfo(
        path=Path(record["path"]),
        duration_s=float(record["duration_s"]),
        size_bytes=int(record["size_bytes"]),
        poster_path=Path(poster) if poster else None,
        has_video=bool(record["has_video"]),
        has_audio=bool(record["has_audio"]),
        session_id=str(record["session_id"]),
    )


def recover(directory: Path, *, mix_audio: bool = True, key: AtRestKey | None = None) -> list[RecordingInfo]:
    """Finalise every unfinished recording under `directory` (after a crash); skip live and empty ones."""
    recovered: list[RecordingInfo] = []
    base = Path(directory)
    if not base.is_dir():
        return recovered
    for folder in sorted(p for p in base.iterdir() if p.is_dir()):
        if not (folder / MANIFEST).exists() and not (folder / "segments").is_dir():
            continue
        try:
            layout = RecordingLayout(base, folder.name)
            manifest = layout.read_manifest()
            session_id = manifest.get("session_id")
            if isinstance(session_id, str) and session_id != folder.name:
                layout = RecordingLayout(base, session_id, folder.name)
        except ValueError:
            continue
        if manifest.get("state") in ("final", "empty"):
            continue
        try:
            layout.lock()
        except RecordingLocked:
            continue  # a live recorder in this process or another owns it
        try:
            info = finalise(layout, mix_audio=mix_audio, key=key)
        except EmptyRecording:
            log.info("recording %s: nothing to recover", folder.name)
            continue
        except (RecordingError, av.FFmpegError, OSError, SealedFileError) as exc:
            log.error("recording %s could not be recovered: %s", folder.name, exc)
            continue
        finally:
            layout.unlock()
        log.info("recovered recording %s (%.1f s)", folder.name, info.duration_s)
        recovered.append(info)
    return recovered
