"""What the blind evaluation splits (fresh2, fresh3, fresh4 ...) share about codes and screen text: a code format
drawn from templates, and the lines an error screen or a screen without an error carries.

Each split keeps its own families, captions, messages and ordinary numbers in its own module (testkit/synth/
fresh2_formats.py, fresh3_formats.py); this module holds only the machinery, so a split's tables stay unread by
whoever tunes the reader while the code that turns them into screens is shared.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from testkit.synth.fresh_formats import draw_fresh_template
from testkit.synth.open_text import ScreenContent, ScreenLine

Tables = Mapping[str, Mapping[str, tuple[str, ...]]]  # role or kind -> language -> phrases


@dataclass(frozen=True, slots=True)
class FamilyFormat:
    """One way a device family writes a code: templates to draw from, grammar to check, caption to show it with."""

    name: str
    family: str
    kind: str  # key of the split's messages, ordinary numbers and layouts
    templates: tuple[str, ...]
    grammar: str  # regular expression every drawn code fully matches
    caption: str  # key of the split's captions, or "" for a code shown bare
    source: str  # the documentation the shape imitates (named in docs/performance.md)
    shown: str = "{code}"  # how the screen writes the code; may hold template classes ("{code} (G:{[1-4]1})")
    adjacent: bool = False  # the caption must touch the code (a bare number means nothing on its own)
    segment: bool = False  # may be shown on a seven/fourteen-segment panel
    also: Callable[[str], tuple[str, ...]] | None = None  # other spellings that count as reading the code

    def draw(self, rng: np.random.Generator) -> str:
        """One random code of this format."""
        return draw_fresh_template(self.templates[int(rng.integers(len(self.templates)))], rng)

    def show(self, code: str, rng: np.random.Generator) -> str:
        """How the screen writes this code (the code itself plus whatever the format puts around it)."""
        return draw_fresh_template(self.shown.replace("{code}", "\x00"), rng).replace("\x00", code)

    def accepted(self, code: str) -> tuple[str, ...]:
        """Every spelling that counts as reading the code."""
        return (code, *(self.also(code) if self.also else ()))


def last_word(code: str) -> tuple[str, ...]:
    """The code's last word as another accepted spelling ("LLC 12345" -> "12345")."""
    return (code.split()[-1],)


def rand_int(r: np.random.Generator, lo: int, hi: int) -> int:
    """A random integer in [lo, hi]."""
    return int(r.integers(lo, hi + 1))


def pick(r: np.random.Generator, options: tuple[str, ...] | list[str]) -> str:
    """One of the options."""
    return options[int(r.integers(len(options)))]


def template_line(template: str) -> Callable[[np.random.Generator], str]:
    """An ordinary-number maker drawing from a template."""
    return lambda r: draw_fresh_template(template, r)


def ordinary_line(table: Mapping[str, tuple[Callable[[np.random.Generator], str], ...]], kind: str,
                  rng: np.random.Generator) -> str:
    """A line holding an ordinary number of this kind of device."""
    makers = table[kind]
    return makers[int(rng.integers(len(makers)))](rng)


def family_error_content(fmt: FamilyFormat, rng: np.random.Generator, lang: str, distractors: int, captions: Tables,
                         messages: Tables, ordinary: Callable[[str, np.random.Generator], str]
                         ) -> tuple[ScreenContent, str]:
    """An error screen of this format and how it writes the code: caption and code, a message or two, and
    `distractors` ordinary-number lines of the same kind of device."""
    code = fmt.draw(rng)
    shown = fmt.show(code, rng)
    lines: list[ScreenLine] = []
    if fmt.caption:
        caption = pick(rng, captions[fmt.caption][lang])
        if fmt.adjacent or rng.random() < 0.6:
            lines.append(ScreenLine(f"{caption}: {shown}", "code"))
        else:
            lines += [ScreenLine(caption, "title"), ScreenLine(shown, "code")]
    else:
        lines.append(ScreenLine(shown, "code"))
    said = messages[fmt.kind][lang]
    for msg in rng.permutation(len(said))[: rand_int(rng, 1, len(said))]:
        lines.append(ScreenLine(said[int(msg)], "text"))
    for _ in range(distractors):
        lines.insert(rand_int(rng, 0, len(lines)), ScreenLine(ordinary(fmt.kind, rng), "number"))
    return ScreenContent(tuple(lines), code, fmt.accepted(code), lang, fmt.kind), shown


def family_negative_content(rng: np.random.Generator, lang: str, kind: str, status: Mapping[str, tuple[str, ...]],
                            ordinary: Callable[[str, np.random.Generator], str]) -> ScreenContent:
    """A screen of this kind of device without an error: a status word and 3-5 lines of ordinary numbers."""
    lines = [ScreenLine(pick(rng, status[lang]), "title")]
    lines += [ScreenLine(ordinary(kind, rng), "number") for _ in range(rand_int(rng, 3, 5))]
    return ScreenContent(tuple(lines), "", (), lang, kind)
