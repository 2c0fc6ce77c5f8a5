"""How fast `edupulse synth` is and how much memory it needs (prints figures, asserts nothing).

    .venv/bin/python benchmarks/synth.py                  # 10,000 students x 36 weeks
    .venv/bin/python benchmarks/synth.py --students 2000 --gzip

Wall-clock seconds depend on what else runs on the machine; CPU seconds of this process are
printed next to them. Peak memory is the process's maximum resident set size.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import tempfile
import time
from pathlib import Path

from edupulse.data.synth import SynthConfig, generate, write


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=10_000)
    parser.add_argument("--weeks", type=int, default=36)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--oracle-draws", type=int, default=None)
    parser.add_argument("--gzip", action="store_true")
    parser.add_argument("--out", type=Path, default=None, help="keep the files here")
    args = parser.parse_args()
    extra = {} if args.oracle_draws is None else {"oracle_draws": args.oracle_draws}
    config = SynthConfig(students=args.students, start=dt.date(2024, 8, 26), weeks=args.weeks,
                         seed=args.seed, **extra)
    base = _peak_mb()
    wall, cpu = time.perf_counter(), time.process_time()
    district = generate(config)
    gen_wall, gen_cpu = time.perf_counter() - wall, time.process_time() - cpu
    gen_peak = _peak_mb()
    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp)
        wall, cpu = time.perf_counter(), time.process_time()
        paths = write(district, out, gzip=args.gzip)
        write_wall, write_cpu = time.perf_counter() - wall, time.process_time() - cpu
        sizes = {p.name: p.stat().st_size for p in paths}
    print(f"edupulse synth: {config.students:,} students x {config.weeks} weeks, "
          f"oracle K={config.oracle_draws}, gzip={args.gzip}")
    for (name, frame), (fname, size) in zip(district.frames().items(), sizes.items(),
                                            strict=True):
        print(f"  {name:<13} {len(frame):>12,} rows  {fname:<22} {size / 1e6:>9.1f} MB")
    print(f"  generate      {gen_wall:8.1f} s wall  {gen_cpu:8.1f} s CPU")
    print(f"  write         {write_wall:8.1f} s wall  {write_cpu:8.1f} s CPU")
    print(f"  total         {gen_wall + write_wall:8.1f} s wall  {gen_cpu + write_cpu:8.1f} s CPU")
    print(f"  peak memory   {_peak_mb():8.0f} MB resident (interpreter and imports: {base:.0f} MB;"
          f" after generate: {gen_peak:.0f} MB)")


if __name__ == "__main__":
    main()
