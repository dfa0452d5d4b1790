"""Protect saved large components alone, to time interval protection without a whole year's run.

    EVER6_LINKED_DUMP=var/components python -m bench.disclosure --scale la --seed 5 --year 2025/26
    python -m bench.replay_components var/components [--only NAME] [--profile FILE]

With ``EVER6_LINKED_DUMP`` set, ``ever6.disclosure.linked.protect`` pickles each component of
``_RESTRICT_FROM`` (20,000) sums or more (a ``Component`` with the width) into that folder, named
``<sums>-<primaries>-<digest>.pickle``. This script protects each alone with
``protect_component``, as ``protect`` does, and prints per component: CPU seconds by step
(cubes, passes, programs), the programs, the primaries settled by cubes and by the passes, and
the sums suppressed. Suppressing a sum here suppresses that sum only (the replay does not know
which rows show it, nor the measures that follow), so its counts are close to, not equal to,
the whole run's rows.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pickle
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--only", help="only the components whose file name contains this")
    parser.add_argument("--profile", type=Path, help="write cProfile statistics to this file")
    args = parser.parse_args()

    from ever6.disclosure.linked import Protection, protect_component

    profiler = cProfile.Profile() if args.profile else None
    for path in sorted(args.folder.glob("*.pickle")):
        if args.only and args.only not in path.name:
            continue
        component, width = pickle.loads(path.read_bytes())
        result = Protection(added={})
        suppressed: list[int] = []

        def hide(k: int, reason: str, suppressed: list[int] = suppressed) -> list[int]:
            suppressed.append(k)
            return [k]

        cpu = time.process_time()
        if profiler:
            profiler.enable()
        protect_component(component, width, hide, result)
        if profiler:
            profiler.disable()
        figures = {
            "component": path.name,
            "cpu_seconds": round(time.process_time() - cpu, 1),
            "by_step": {step: round(s, 1) for step, s in sorted(result.seconds.items())},
            "primary": len(component.todo),
            "programs": result.programs,
            "cubes": result.cubes,
            "free": result.free,
            "unprotectable": result.unprotectable,
            "suppressed": len(suppressed),
        }
        print(json.dumps(figures), flush=True)
    if profiler:
        profiler.dump_stats(str(args.profile))


if __name__ == "__main__":
    main()
