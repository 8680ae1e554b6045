#!/usr/bin/env python3
"""Checks two rules of the code's shape (docs/architecture.md), so that they stay true:

- dependencies point down: no #include "..." in core/, ui/ or app/ reaches a layer above
  its own, or a peer of its own (scripts/layers.txt lists the layers);
- no source file in core/, ui/, app/ or tests/ is longer than MaxLines lines.

Prints every violation as file:line and exits 1 if there is any. Run by scripts/test.sh."""

import os
import re
import sys

MaxLines = 800
# Files allowed over MaxLines for now, each with the reason. Keep this list empty.
LongFileExceptions: set[str] = set()

Root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IncludeLine = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
SourceSuffixes = (".cpp", ".h")


def read_layers():
    """Maps each folder to (rank, line): a lower rank is a lower layer."""
    layers = {}
    with open(os.path.join(Root, "scripts", "layers.txt"), encoding="utf-8") as f:
        rank = 0
        for line in f:
            line = line.split("#", 1)[0].split()
            if not line:
                continue
            for folder in line:
                layers[folder] = rank
            rank += 1
    return layers


def layer_of(path, layers):
    """The folder of scripts/layers.txt that holds `path` (relative to Root), or None."""
    parts = path.split("/")
    for depth in (2, 1):
        folder = "/".join(parts[:depth])
        if len(parts) > depth and folder in layers:
            return folder
    return None


def source_files(top):
    for folder, folders, files in os.walk(os.path.join(Root, top)):
        # The npm test peers' packages (tests/peers/node_modules) are other projects' code.
        folders[:] = [f for f in folders if f != "node_modules"]
        for name in sorted(files):
            if name.endswith(SourceSuffixes):
                yield os.path.relpath(os.path.join(folder, name), Root)


def resolve(including, included):
    """Where the compiler finds `included`: next to the including file first, then in the
    include folders of core (every target) and ui (ui and app). None for a generated header."""
    candidates = [os.path.join(os.path.dirname(including), included), os.path.join("core", included)]
    if not including.startswith("core/"):
        candidates.append(os.path.join("ui", included))
    for candidate in candidates:
        candidate = os.path.normpath(candidate)
        if os.path.isfile(os.path.join(Root, candidate)):
            return candidate
    return None


def upward_includes(layers):
    problems = []
    for top in ("core", "ui", "app"):
        for path in source_files(top):
            own = layer_of(path, layers)
            if own is None:
                problems.append(f"{path}: its folder is not in scripts/layers.txt")
                continue
            with open(os.path.join(Root, path), encoding="utf-8") as f:
                for number, line in enumerate(f, 1):
                    match = IncludeLine.match(line)
                    if not match:
                        continue
                    target = resolve(path, match.group(1))
                    other = layer_of(target, layers) if target else None
                    if other is None or other == own or layers[other] < layers[own]:
                        continue
                    how = "a peer layer" if layers[other] == layers[own] else "a higher layer"
                    problems.append(
                        f'{path}:{number}: #include "{match.group(1)}": {own} includes {other}, {how}'
                    )
    return problems


def long_files():
    problems = []
    for top in ("core", "ui", "app", "tests"):
        for path in source_files(top):
            if path in LongFileExceptions:
                continue
            with open(os.path.join(Root, path), encoding="utf-8") as f:
                count = sum(1 for _ in f)
            if count > MaxLines:
                problems.append(f"{path}:{count}: {count} lines, more than {MaxLines}: split it by concern")
    return problems


def main():
    problems = upward_includes(read_layers()) + long_files()
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"check-structure: {len(problems)} problems (docs/architecture.md says the rules)",
              file=sys.stderr)
        return 1
    print("check-structure: includes point down the layers; no file over", MaxLines, "lines")
    return 0


if __name__ == "__main__":
    sys.exit(main())
