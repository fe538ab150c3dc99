"""`lensdesk sticker`: create writes a sticker that scans to the link's URL; sheet refuses revoked links."""

from __future__ import annotations

from pathlib import Path

import cv2
import pytest

from lensdesk.cli import main


def test_create_list_sheet_revoke(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LENSDESK_SECRET_KEY", "cli-sticker-" + "k" * 32)
    data = ["--data-dir", str(tmp_path / "data")]
    png = tmp_path / "sticker.png"
    assert main(["sticker", *data, "create", "--family", "printer", "--model", "LJ 4000", "--serial", "CN1",
                 "--out", str(png)]) == 0
    link_id, url = capsys.readouterr().out.strip().split("\t")
    assert url.startswith("http://127.0.0.1:8080/help#h=")
    image = cv2.imread(str(png), cv2.IMREAD_GRAYSCALE)
    assert image is not None, "the sticker is not a PNG OpenCV reads"
    assert url in {cv2.QRCodeDetectorAruco().detectAndDecode(image)[0], cv2.QRCodeDetector().detectAndDecode(image)[0]}
    assert main(["sticker", *data, "list"]) == 0
    assert capsys.readouterr().out.split("\t")[:3] == [link_id, "printer", "LJ 4000"]
    assert main(["sticker", *data, "sheet", link_id, "--out", str(tmp_path / "s.pdf")]) == 0
    assert (tmp_path / "s.pdf").read_bytes().startswith(b"%PDF")
    assert main(["sticker", *data, "revoke", link_id]) == 0
    assert main(["sticker", *data, "sheet", link_id, "--out", str(tmp_path / "t.pdf")]) == 2
    assert "revoked" in capsys.readouterr().err
