"""``python -m ever6.synth --scale tiny --seed 1 --out DIR``: the generator without the CLI."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ever6.synth import SCALES, generate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ever6.synth", description=__doc__)
    parser.add_argument("--scale", choices=sorted(SCALES), default="small")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    started = time.perf_counter()

    def progress(stage: str, fraction: float) -> None:
        print(f"{time.perf_counter() - started:7.1f}s {fraction:4.0%} {stage}", file=sys.stderr)

    manifest = generate(args.scale, args.seed, args.out, progress=progress)
    for key, value in manifest.calibration.items():
        print(f"{key}: {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
