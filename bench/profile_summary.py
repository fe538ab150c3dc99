"""Summarise py-spy collapsed stacks (`py-spy record -f raw`, as bench/capacity.py --profile writes them).

    .venv/bin/python bench/profile_summary.py PROFILE.txt [--top 25] [--match relay]

Prints the functions with the most samples on top of the stack (self) and anywhere in it (inclusive), as a share
of all samples of the main (event loop) thread and of the whole process tree.
"""

from __future__ import annotations

import argparse
import collections
import sys
from pathlib import Path


def parse(path: Path) -> list[tuple[list[str], int]]:
    """(frames root -> leaf, samples) per collapsed line."""
    stacks = []
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        stack, _, count = line.rpartition(" ")
        stacks.append((stack.split(";"), int(count)))
    return stacks


def short(frame: str) -> str:
    """'func (path/to/module.py:12)' -> 'func (module.py)'."""
    name, _, where = frame.partition(" (")
    file = where.split(":", 1)[0].rsplit("/", 1)[-1] if where else ""
    return f"{name} ({file})" if file else name


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("profile", type=Path)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--match", default="", help="only stacks containing this text")
    args = parser.parse_args()
    stacks = [(s, n) for s, n in parse(args.profile) if args.match in ";".join(s)]
    total = sum(n for _, n in stacks) or 1
    own: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    for frames, n in stacks:
        own[short(frames[-1])] += n
        for name in {short(f) for f in frames}:
            inclusive[name] += n
    print(f"{total} samples")
    print(f"{'self %':>7}  function")
    for name, n in own.most_common(args.top):
        print(f"{100 * n / total:>6.1f}%  {name}")
    print(f"\n{'incl %':>7}  function")
    for name, n in inclusive.most_common(args.top):
        print(f"{100 * n / total:>6.1f}%  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
