"""What every blind evaluation split (fresh, fresh2, fresh3, fresh4) must hold, checked once over all of them: every
drawn code fully matches its format's grammar and is drawn from a grammar, not a list; draws and plans are
deterministic per seed; plans film every screen at both sizes and cover every family; no drawn code of the later
splits is a catalogued code (diagnostics/catalogs read as data); no split reuses another's families."""

import re
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pytest
import yaml

from testkit.synth.formats import FAMILIES
from testkit.synth.fresh2_formats import FRESH2_FAMILIES, FRESH2_FORMATS
from testkit.synth.fresh2_screens import plan_fresh2
from testkit.synth.fresh3_formats import FRESH3_FAMILIES, FRESH3_FORMATS
from testkit.synth.fresh3_screens import plan_fresh3
from testkit.synth.fresh4_formats import FRESH4_FAMILIES, FRESH4_FORMATS
from testkit.synth.fresh4_screens import plan_fresh4
from testkit.synth.fresh_formats import FRESH_FAMILIES, FRESH_FORMATS
from testkit.synth.fresh_screens import drawable_on_segments, plan_fresh

SIZES = ((640, 360), (1280, 720))
DIAGNOSTICS = Path(__file__).resolve().parents[3] / "diagnostics"
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: the catalogs are large


class Split(NamedTuple):
    name: str
    families: tuple[str, ...]
    formats: tuple[Any, ...]
    plan: Any


SPLITS = (Split("fresh", FRESH_FAMILIES, FRESH_FORMATS, plan_fresh),
          Split("fresh2", FRESH2_FAMILIES, FRESH2_FORMATS, plan_fresh2),
          Split("fresh3", FRESH3_FAMILIES, FRESH3_FORMATS, plan_fresh3),
          Split("fresh4", FRESH4_FAMILIES, FRESH4_FORMATS, plan_fresh4))
FORMATS = [(s.name, f) for s in SPLITS for f in s.formats]


def _norm(code: str) -> str:
    return "".join(code.split()).upper()


def _catalog_codes() -> set[str]:
    """Every code of the catalog files, normalised as the accuracy bench compares codes."""
    codes: set[str] = set()
    for path in sorted((DIAGNOSTICS / "catalogs").glob("*.y*ml")):
        for family in (yaml.load(path.read_text(), Loader=_LOADER).get("families") or {}).values():
            codes |= {_norm(str(code)) for code in (family.get("codes") or {})}
    return codes


@pytest.mark.parametrize(("split", "fmt"), FORMATS, ids=[f"{s}-{f.name}" for s, f in FORMATS])
def test_every_drawn_code_fully_matches_its_grammar_and_draws_are_deterministic(split, fmt):
    codes = [fmt.draw(r) for r in [np.random.default_rng(7)] for _ in range(300)]
    assert not [c for c in codes if not re.fullmatch(fmt.grammar, c)]
    assert codes == [fmt.draw(r) for r in [np.random.default_rng(7)] for _ in range(300)]
    # Drawn from a grammar, not a list: many different codes (tiny grammars such as "E1".."E9" are exhausted).
    space = len({fmt.draw(r) for r in [np.random.default_rng(8)] for _ in range(1000)})
    assert len(set(codes)) >= min(60 if split == "fresh" else 80, 0.8 * space)
    accepted = fmt.accepted(codes[0])
    assert accepted[0] == codes[0] and all(_norm(a) for a in accepted)
    if fmt.segment:
        assert all(drawable_on_segments(c) for c in codes)


@pytest.mark.parametrize("split", SPLITS[1:], ids=lambda s: s.name)
def test_no_drawn_code_of_the_later_splits_is_a_catalogued_code(split):
    # The first fresh split predates the catalog files; its tiny grammars ("E1".."E9") overlap them by chance.
    catalogued = _catalog_codes()
    assert len(catalogued) >= 300  # the catalog files were found and read
    rng = np.random.default_rng(11)
    drawn = {(f.name, c) for f in split.formats for c in (f.draw(rng) for _ in range(400))}
    assert not sorted((name, c) for name, c in drawn if _norm(c) in catalogued)
    also = sorted((f.name, a) for f in split.formats for a in f.accepted(f.draw(rng))[1:] if _norm(a) in catalogued)
    assert not also, also


def test_no_split_reuses_another_splits_families():
    seen = set(FAMILIES)
    for split in SPLITS:
        assert len(split.families) >= 12 and not set(split.families) & seen, split.name
        seen |= set(split.families)
    names = [f.name for s in SPLITS for f in s.formats]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("split", SPLITS, ids=lambda s: s.name)
def test_plan_is_deterministic_covers_every_family_and_films_each_screen_at_both_sizes(split):
    a = split.plan(list(split.families), 11, 1, 4, SIZES)
    assert a == split.plan(list(split.families), 11, 1, 4, SIZES)
    assert a != split.plan(list(split.families), 12, 1, 4, SIZES)
    assert len(a) == 2 * (len(split.formats) + 4)
    assert [s.size for s in a[:2]] == list(SIZES) and a[0].content == a[1].content and a[0].style == a[1].style
    assert {s.family for s in a} == set(split.families) | {"negative"} and {s.codec for s in a} == {"vp8"}
    assert [s.index for s in a] == list(range(len(a)))
    assert len({s.content.lang for s in a}) >= 5
    with pytest.raises(ValueError):
        split.plan(["no-such-family"], 1, 1, 0, SIZES)
