"""Checks the blind evaluation splits' own tests share (fresh2, fresh3, fresh4): a split's tables differ, the checks
do not."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np


def code_shapes(formats: Iterable[Any], text: str, not_after: str = r"\w.:#-") -> list[str]:
    """Formats whose code stands on its own somewhere in the text (codes that need their caption are none without
    it, and negatives never hold captions); not_after: the characters a standing code may not follow."""
    return [f.name for f in formats
            if not f.adjacent and re.search(rf"(?<![{not_after}])(?:{f.grammar})(?![\w.:#-])", text)]


def check_negatives(formats: Sequence[Any], captions: Mapping[str, Mapping[str, Sequence[str]]],
                    ordinary: Mapping[str, Any], langs: Sequence[str],
                    negative_content: Callable[[np.random.Generator, str, str], Any],
                    not_after: str = r"\w.:#-") -> None:
    """240 negatives over every kind of device and language: full of ordinary numbers, no caption word and no
    code shape of the split anywhere."""
    rng = np.random.default_rng(5)
    words = {c.lower() for role in captions.values() for lang in role.values() for c in lang}
    digits = 0
    for i in range(240):
        kind = list(ordinary)[i % len(ordinary)]
        content = negative_content(rng, langs[i % len(langs)], kind)
        assert content.code == "" and content.accept == ()
        for line in content.lines:
            digits += any(c.isdigit() for c in line.text)
            assert not any(re.search(rf"(?<!\w){re.escape(cap)}(?!\w)", line.text.lower()) for cap in words), line
            shapes = code_shapes(formats, line.text, not_after)
            assert not shapes, (line.text, shapes)
    assert digits >= 700
