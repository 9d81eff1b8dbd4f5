"""Benchmark: the closed-loop MSE, serial vs a Dask LocalCluster with two workers.

1000 replicates (posterior draws × stochastic futures) × 13 projection years × 3
populations, three procedures judged together with common random numbers — the procedure
behind the recommended quota (Kalman-filter estimator, one-year lag, 10 % missed surveys,
three-year cap with annual check, implementation error), the PBR rule, and zero export —
run through :func:`saigapop.runner.run_grid` serially and on a LocalCluster (processes, two
workers, one thread each). The two results are checked identical. Also 8000 replicates,
where the cluster's fixed overhead is amortised.

Run: ``python benchmarks/mse.py [FIT]`` — with a saved fit (the bundled-data fit) instead
of the synthetic posterior. Either goes through :class:`saigapop.Assessment`
(``Assessment.from_fit`` with the bundled data, then ``recommend()``): the procedure's quota is
the one the report recommends. Ends with ``name: value unit`` lines.
"""

from __future__ import annotations

import os
import sys
import time
import warnings

import xarray as xr
from distributed import Client, LocalCluster

import saigapop as sp
from saigapop.management.mse import (
    mse_table,
    pbr_procedure,
    procedure_from_quota,
    run_mse,
    summarise_mse,
)
from saigapop.model.io import load_fit
from saigapop.testing import synthetic_posterior

REPLICATES, BLOCK, LARGE = 1000, 250, 8000


def main() -> None:
    warnings.simplefilter("ignore")
    fit_path = sys.argv[1] if len(sys.argv) > 1 else None
    data = sp.load_kazakhstan()
    if fit_path is None:
        post = synthetic_posterior(chains=4, draws=250, seed=2025, adult_male_share=0.2)
        config, male_share = sp.AssessmentConfig(seed=1), {"male_share": 0.2}
    else:  # the bundled-data fit
        post = load_fit(fit_path)
        config, male_share = sp.AssessmentConfig(seed=2025), {}
    # the quota as the report solves it: the fitted world with its realised removals (the
    # 2025 cull), lowered where a reference trial needs less
    rec = sp.Assessment.from_fit(data, post, config, progress=False).recommend()
    om, result = rec.om, rec.result
    procs = [
        procedure_from_quota(result, post, **male_share),
        pbr_procedure(om, **male_share),
    ]
    kw = {
        "n_replicates": REPLICATES,
        "block_size": BLOCK,
        "seed": 7,
        "realised_removals": rec.om_options["realised_removals"],
    }

    t0 = time.perf_counter()
    serial = run_mse(post, procs, **kw)
    t_serial = time.perf_counter() - t0

    t0 = time.perf_counter()
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        t_start = time.perf_counter() - t0
        t1 = time.perf_counter()
        parallel = run_mse(post, procs, runner={"client": client}, **kw)
        t_dask = time.perf_counter() - t1
        t1 = time.perf_counter()
        run_mse(post, procs, runner={"client": client}, **kw)
        t_dask_warm = time.perf_counter() - t1
        big = {**kw, "n_replicates": LARGE}
        t1 = time.perf_counter()
        run_mse(post, procs, runner={"client": client}, **big)
        t_dask_big = time.perf_counter() - t1
    t_dask_total = time.perf_counter() - t0
    t1 = time.perf_counter()
    run_mse(post, procs, **big)
    t_serial_big = time.perf_counter() - t1

    same = True
    try:
        xr.testing.assert_identical(serial, parallel)
    except AssertionError:
        same = False
    summary = summarise_mse(serial)
    print(
        f"problem: {REPLICATES} replicates x {om.horizon} years x {len(om.populations)} "
        f"populations x {len(procs) + 1} procedures (incl. zero export); "
        f"posterior: {fit_path or 'synthetic'}; cores: "
        f"{os.cpu_count()}; load: {os.getloadavg()[0]:.2f}"
    )
    print(
        f"recommended quota: {dict(zip(om.populations, result.level.values.tolist(), strict=True))}"
    )
    print(mse_table(summary).round(4).to_string())
    print(f"serial and Dask results identical: {same}")
    if not same:
        sys.exit("serial and Dask results differ")
    print(f"mse_serial_wall: {t_serial:.3f} s")
    print(f"cluster_start_wall: {t_start:.3f} s")
    print(f"mse_dask_wall: {t_dask:.3f} s")
    print(f"mse_dask_warm_wall: {t_dask_warm:.3f} s")
    print(f"mse_dask_incl_cluster_wall: {t_dask_total:.3f} s")
    print(f"speedup_dask_warm_vs_serial: {t_serial / t_dask_warm:.2f} x")
    print(f"replicates_per_s_serial: {REPLICATES / t_serial:.0f} 1/s")
    print(f"replicates_per_s_dask: {REPLICATES / t_dask_warm:.0f} 1/s")
    print(f"mse_{LARGE}_serial_wall: {t_serial_big:.3f} s")
    print(f"mse_{LARGE}_dask_wall: {t_dask_big:.3f} s")
    print(f"speedup_dask_vs_serial_{LARGE}: {t_serial_big / t_dask_big:.2f} x")


if __name__ == "__main__":
    main()
