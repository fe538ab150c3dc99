"""bench's dataset and report scripts: make_dataset films and labels each split's clips, ocr_accuracy compares
readings with labels and keeps fresh families hidden. Moved here from tests/unit/diagnostics: the tests of bench's
own scripts (tests/integration/bench/) are the one place tests import bench."""

from __future__ import annotations

import json

import pytest

from testkit.synth.fresh_formats import FRESH_FAMILIES
from testkit.synth.fresh_screens import FRESH, plan_fresh
from testkit.synth.open_set import NEGATIVE, plan_open


def test_comparison_rule_of_the_bench():
    from bench.ocr_accuracy import ClipResult

    def result(code: str, accept: list[str], reported: list[str]) -> ClipResult:
        return ClipResult({"code": code, "accept": accept}, reported)

    assert result("ERR 105", ["ERR 105", "105"], ["err105"]).hit
    assert result("ERR 105", ["ERR 105", "105"], ["105"]).hit
    hit_and_false = result("E:83", ["E:83"], ["E83", "E:83"])
    assert hit_and_false.hit and hit_and_false.false_code  # separators count: E83 is another code
    assert not result("F.28", ["F.28"], ["F28"]).hit
    assert result("", [], ["12.03"]).false_code and not result("", [], []).false_code
    assert result("SC542", [], ["SC542"]).hit  # catalog-set labels carry no accept list


@pytest.mark.slow
def test_open_clip_is_filmed_encoded_and_labelled(tmp_path):
    from bench.make_dataset import make_open_one
    from testkit.synth.codec import decode_clip

    specs = plan_open(["pos"], 12, 1, 1, ((640, 360),))
    positive, negative = specs[0], specs[-1]
    label = make_open_one(positive, tmp_path)
    assert label.code == positive.content.code and label.format == "pos-err-space" and label.family == "pos"
    assert label.accept == positive.content.accept and label.accept[1] == label.code.split(" ")[1]
    frames = decode_clip(tmp_path / label.file)
    assert len(frames) == 30 and frames[-1][1].shape == (360, 640, 3)
    empty = make_open_one(negative, tmp_path)
    assert empty.code == "" and empty.accept == () and empty.format == NEGATIVE


@pytest.mark.slow
def test_fresh_clip_is_filmed_encoded_and_labelled(tmp_path):
    from bench.make_dataset import make_fresh_one, open_families
    from testkit.synth.codec import decode_clip

    assert open_families(FRESH, "") == list(FRESH_FAMILIES)
    specs = plan_fresh(["cnc"], 21, 1, 1, ((640, 360),))
    label = make_fresh_one(specs[0], tmp_path)
    assert label.split == FRESH and label.family == "cnc" and label.code == specs[0].content.code
    assert label.codec == "vp8" and label.accept == specs[0].content.accept
    frames = decode_clip(tmp_path / label.file)
    assert len(frames) == 30 and frames[-1][1].shape == (360, 640, 3)
    empty = make_fresh_one(specs[-1], tmp_path)
    assert empty.code == "" and empty.format == NEGATIVE and empty.split == FRESH


def test_accuracy_report_keeps_fresh_families_hidden_until_the_final_run(capsys):
    from bench.ocr_accuracy import ClipResult, open_report

    def result(family: str, fmt: str, code: str, reported: list[str], height: int) -> ClipResult:
        label = {"code": code, "accept": [code] if code else [], "family": family, "format": fmt, "split": FRESH,
                 "height": height, "file": f"clip_{fmt}_{height}.webm", "layout": "hmi", "font": "urw-gothic",
                 "lang": "en"}
        return ClipResult(label, reported)

    results = [result("cnc", "fanuc-alarm", "SV0401", ["SV0401"], 360), result("cnc", "fanuc-alarm", "SV0401", [], 720),
               result(NEGATIVE, NEGATIVE, "", ["12.5"], 360)]
    open_report(results)
    out = capsys.readouterr().out
    assert "fresh families" in out and "50.0% (1/2)" in out
    assert "fresh negatives (no code)" in out and "tuned families" not in out
    assert "fanuc-alarm" not in out and "SV0401" not in out  # no per-format lines, no misses
    open_report(results, reveal_held_out=True)
    out = capsys.readouterr().out
    assert "fanuc-alarm" in out and "'SV0401' -> []" in out


@pytest.mark.slow
@pytest.mark.parametrize(("split", "family"), [("fresh3", "softener"), ("fresh4", "glucose")])
def test_a_later_fresh_set_is_written_like_the_other_fresh_splits(tmp_path, monkeypatch, split, family):
    import bench.make_dataset as make_dataset
    from testkit.synth.codec import decode_clip

    monkeypatch.setattr(make_dataset, "SIZES", ((640, 360),))  # one small clip is enough to check the wiring
    assert make_dataset.main(["--split", split, "--families", family, "--per-format", "0", "--negatives", "1",
                              "--seed", "3", "--jobs", "1", "--out", str(tmp_path)]) == 0
    labels = json.loads((tmp_path / "labels.json").read_text())
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    locations = json.loads((tmp_path / "locations.json").read_text())
    assert [lb["split"] for lb in labels] == ["fresh"] and labels[0]["family"] == "negative"
    assert manifest["split"] == split and manifest["families"] == [family] and manifest["seed"] == 3
    assert [loc["box"] for loc in locations] == [[]] and labels[0]["code"] == "" and labels[0]["codec"] == "vp8"
    frames = decode_clip(tmp_path / labels[0]["file"])
    assert len(frames) == 30 and frames[-1][1].shape == (360, 640, 3)
