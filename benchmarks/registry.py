"""Benchmark: validate a 100,000-row horn registry (target <= 5 s on 2 cores).

Run as ``python benchmarks/registry.py``. The baseline, in the same run, is a straightforward
row-by-row Python validation of the same data (``saigapop.registry._reference``); both must find
exactly the same (row, fault) pairs, which are also the planted ground truth. Ends with one line
per figure, ``name: value unit``.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

try:
    import saigapop  # noqa: F401
except ImportError:  # running from a checkout without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from saigapop.registry import (
    DEMO_FAULTS,
    custody_json,
    make_synthetic_registry,
    reconcile,
    validate_registry,
    write_registry,
)
from saigapop.registry._reference import validate_rowwise

N = 100_000
REPEATS = 3
FAULTS = {code: 5 * count for code, count in DEMO_FAULTS.items()}


def timed(fn, repeats: int = REPEATS):
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    gen_s, synth = timed(lambda: make_synthetic_registry(N, faults=FAULTS, seed=2026), 1)
    vec_s, result = timed(lambda: validate_registry(synth.registry, synth.removals))
    loop_s, reference = timed(lambda: validate_rowwise(synth.registry, synth.removals), 1)

    found = set(zip(result.findings["row"], result.findings["fault"], strict=True))
    truth = set(zip(synth.truth["row"], synth.truth["fault"], strict=True))
    if found != reference or found != truth:
        raise SystemExit("vectorised, row-by-row and planted findings differ")
    if result.n_accepted + result.n_rejected != N:
        raise SystemExit("rows were lost")

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "registry.csv"
        write_registry(synth.registry, path)
        csv_s, _ = timed(lambda: validate_registry(path, synth.removals), 1)
    rec_s, _ = timed(lambda: reconcile(result, quota_kg=synth.quota_kg))
    json_s, _ = timed(lambda: custody_json(result), 1)

    print(f"# {N:,} rows, {len(truth):,} planted faults, {os.cpu_count()} CPUs")
    print(f"registry_generate_100k: {gen_s:.2f} s")
    print(f"registry_validate_100k: {vec_s:.2f} s")
    print(f"registry_validate_rowwise_100k: {loop_s:.2f} s")
    print(f"registry_validate_speedup: {loop_s / vec_s:.1f} x")
    print(f"registry_read_and_validate_csv_100k: {csv_s:.2f} s")
    print(f"registry_reconcile_100k: {rec_s:.3f} s")
    print(f"registry_custody_json_100k: {json_s:.2f} s")
    print(f"registry_findings: {len(found)} findings")
    print(f"registry_recall: {len(found & truth) / len(truth):.3f} fraction")


if __name__ == "__main__":
    main()
