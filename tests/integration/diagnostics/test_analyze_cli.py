"""`lensdesk analyze` on real files: a video, a photo, and garbage."""

import argparse
import base64
import json

import cv2
import numpy as np
import pytest

from atrest.sealed import AtRestKey, create
from lensdesk import analyze
from testkit.synth.capture import random_capture_params, render_capture
from testkit.synth.clips import ClipSpec, make_error_clip
from testkit.synth.codec import encode_clip
from testkit.synth.screens import SAMPLES, ScreenStyle, render_error_screen, screen_text

PANEL = ScreenStyle("panel", "mono", (40, 40, 30), (120, 210, 170))


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    analyze.add_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(["analyze", *argv])


@pytest.mark.slow
def test_video_json(tmp_path, capsys):
    sample = SAMPLES[14]  # SC542
    spec = ClipSpec(sample.code, screen_text(sample), PANEL, (1280, 720), fps=10, lead_in_s=0.5, screen_s=2.5, seed=3)
    path = encode_clip(make_error_clip(spec), tmp_path / "clip", "h264", 1200, spec.fps)
    args = _args(str(path), "--json", "--snapshots", str(tmp_path / "snaps"))
    assert args.func is analyze.run
    assert analyze.run(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert [f["code"] for f in out] == ["SC542"]
    assert out[0]["known"] is True and out[0]["severity"] == "critical"
    assert len(list((tmp_path / "snaps").glob("*.jpg"))) == 1


def test_photo_table(tmp_path, capsys):
    sample = SAMPLES[12]  # E-204
    screen = render_error_screen(sample.code, screen_text(sample), PANEL, (640, 260))
    frame = render_capture(screen, random_capture_params(np.random.default_rng(2), (1280, 720), 640 / 260, 0.5),
                           (1280, 720))
    path = tmp_path / "photo.png"
    cv2.imwrite(str(path), frame)
    assert analyze.run(_args(str(path))) == 0
    assert "E-204" in capsys.readouterr().out


@pytest.mark.parametrize("content", [b"", b"\x00" * 3000, b"not a video at all" * 50])
def test_garbage_files_exit_2_with_a_message(tmp_path, capsys, content):
    for name in ("x.mp4", "x.png"):
        path = tmp_path / name
        path.write_bytes(content)
        assert analyze.run(_args(str(path), "--no-progress")) == 2
        assert "error:" in capsys.readouterr().err


def test_missing_file(tmp_path, capsys):
    assert analyze.run(_args(str(tmp_path / "missing.webm"))) == 2
    assert "no such file" in capsys.readouterr().err


def test_photo_with_the_operators_catalog_dir(tmp_path, capsys):
    code = "0x8047A2C6"  # HRESULT-shaped, made up: in no built-in catalog
    dialog = ScreenStyle("dialog", "sans", (20, 20, 20), (245, 245, 245), accent=(200, 120, 0))
    frame = np.full((720, 1280, 3), (70, 80, 90), np.uint8)
    frame[60:660, 160:1120] = render_error_screen(code, f"Error code: {code}\nThe update failed.", dialog, (960, 600))
    path = tmp_path / "photo.png"
    cv2.imwrite(str(path), frame)
    assert analyze.run(_args(str(path), "--json")) == 0
    [unknown] = json.loads(capsys.readouterr().out)
    assert unknown["code"] == code and unknown["known"] is False
    catalogs = tmp_path / "catalogs"
    catalogs.mkdir()
    (catalogs / "site.csv").write_text("family,vendor,device,code,title,cause,remedy,severity\n"
                                       f"windows,Microsoft,pc,{code},Component store corrupted,Damaged files,"
                                       "Run DISM /RestoreHealth,error\n")
    (catalogs / "broken.yaml").write_text("families: [")
    assert analyze.run(_args(str(path), "--json", "--catalog-dir", str(catalogs))) == 0
    captured = capsys.readouterr()
    [known] = json.loads(captured.out)
    assert known["known"] is True and known["title"] == "Component store corrupted"
    assert "broken.yaml" in captured.err  # reported, skipped, not fatal


@pytest.mark.slow
def test_files_encrypted_at_rest_are_read_with_the_key_and_refused_clearly_without(tmp_path, capsys, monkeypatch):
    key = bytes(range(32))
    sample = SAMPLES[14]  # SC542
    spec = ClipSpec(sample.code, screen_text(sample), PANEL, (640, 360), fps=10, lead_in_s=0.5, screen_s=2.5, seed=3)
    plain = encode_clip(make_error_clip(spec), tmp_path / "clip", "vp8", 800, spec.fps)
    photo = render_error_screen(SAMPLES[12].code, screen_text(SAMPLES[12]), PANEL, (640, 260))
    ok, jpeg = cv2.imencode(".jpg", photo)
    assert ok
    for name, data in (("recording.webm", plain.read_bytes()), ("snapshot.jpg", jpeg.tobytes())):
        with create(tmp_path / name, AtRestKey(key)) as sealed:  # as the server stores them with a key
            sealed.write(data)
    monkeypatch.delenv("LENSDESK_RECORDING_KEY", raising=False)
    for name in ("recording.webm", "snapshot.jpg"):
        assert analyze.run(_args(str(tmp_path / name), "--json")) == 2
        assert "LENSDESK_RECORDING_KEY is not set" in capsys.readouterr().err
    monkeypatch.setenv("LENSDESK_RECORDING_KEY", base64.b64encode(key).decode())
    assert analyze.run(_args(str(tmp_path / "recording.webm"), "--json")) == 0
    assert [f["code"] for f in json.loads(capsys.readouterr().out)] == ["SC542"]
    assert analyze.run(_args(str(tmp_path / "snapshot.jpg"), "--json")) == 0
    assert "E-204" in capsys.readouterr().out
