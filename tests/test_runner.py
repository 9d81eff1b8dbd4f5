"""The Dask runner: parallel == serial exactly, retries, reported failures (DESIGN §5 scale).

One LocalCluster (two worker processes, one thread each) is started for the whole module.
"""

from __future__ import annotations

import sys
import warnings

import cloudpickle
import numpy as np
import pytest
import xarray as xr

from saigapop.runner import TaskError, TaskFailureWarning, grid_failures, run_grid, task_seeds

# workers cannot import this test module by name: ship its functions by value
cloudpickle.register_pickle_by_value(sys.modules[__name__])


def draw(scale: float, seed: int) -> xr.Dataset:
    rng = np.random.default_rng(seed)
    return xr.Dataset({"x": ("i", scale * rng.random(3))})


def flaky(path: str, seed: int) -> xr.Dataset:
    """Fails on its first attempt (leaves a marker), succeeds on the retry."""
    import pathlib

    marker = pathlib.Path(path)
    if not marker.exists():
        marker.write_text("attempted")
        raise RuntimeError("first attempt fails")
    return xr.Dataset({"x": ("i", [float(seed % 7)])})


def broken(x: float, seed: int) -> xr.Dataset:
    if x < 0:
        raise ValueError(f"negative input {x}")
    return xr.Dataset({"x": ("i", [x])})


@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c


def test_task_seeds_are_spawned_and_stable():
    seeds = task_seeds(7, 5)
    assert seeds == task_seeds(7, 5)
    assert len(set(seeds)) == 5
    expected = np.random.SeedSequence(7).spawn(5)[3].generate_state(1, dtype=np.uint64)[0]
    assert seeds[3] == int(expected)


def test_serial_run_labels_and_concatenates():
    out = run_grid(draw, {"a": {"scale": 1.0}, "b": {"scale": 10.0}}, serial=True, progress=False)
    assert out["task"].values.tolist() == ["a", "b"]
    assert grid_failures(out).empty
    seeds = task_seeds(0, 2)
    np.testing.assert_array_equal(out["x"].sel(task="b").values, draw(10.0, seeds[1])["x"].values)


def test_dask_equals_serial_exactly(client):
    tasks = {f"t{i}": {"scale": float(i + 1)} for i in range(6)}
    serial = run_grid(draw, tasks, serial=True, progress=False, seed=42)
    parallel = run_grid(draw, tasks, client=client, progress=False, seed=42)
    xr.testing.assert_identical(serial, parallel)


def test_mse_and_trials_on_two_workers_equal_serial(client):
    from saigapop.management.mse import Procedure, run_mse
    from saigapop.management.trials import DEFAULT_TRIALS, run_trials, synthetic_counts
    from saigapop.testing import synthetic_posterior

    post = synthetic_posterior(chains=1, draws=30, seed=4)
    procs = [
        Procedure(harvest_fraction=0.02),
        Procedure(name="fixed", rule="fixed", fixed_quota=5000.0),
    ]
    kw = {"n_replicates": 60, "block_size": 20, "seed": 9}
    serial = run_mse(post, procs, **kw)
    parallel = run_mse(post, procs, runner={"client": client}, **kw)
    xr.testing.assert_identical(serial, parallel)

    trials = [t for t in DEFAULT_TRIALS if t.name in ("base", "obs_cv_0.3", "ppr_event")]
    counts = synthetic_counts(post)
    a = run_trials(post, [1000.0, 1000.0, 50.0], trials=trials, counts=counts, progress=False)
    b = run_trials(
        post,
        [1000.0, 1000.0, 50.0],
        trials=trials,
        counts=counts,
        progress=False,
        runner={"serial": False, "client": client},
    )
    xr.testing.assert_identical(a, b)


@pytest.mark.parametrize("mode", ["serial", "dask"])
def test_failed_task_is_retried_then_succeeds(mode, tmp_path, request):
    opts = {"serial": True} if mode == "serial" else {"client": request.getfixturevalue("client")}
    tasks = {"flaky": {"path": str(tmp_path / f"marker-{mode}")}}
    with warnings.catch_warnings():
        warnings.simplefilter("error", TaskFailureWarning)
        out = run_grid(flaky, tasks, retries=1, progress=False, **opts)
    assert out["task"].values.tolist() == ["flaky"]
    assert grid_failures(out).empty


@pytest.mark.parametrize("mode", ["serial", "dask"])
def test_failed_task_is_reported_never_dropped(mode, request):
    opts = {"serial": True} if mode == "serial" else {"client": request.getfixturevalue("client")}
    tasks = {"good": {"x": 1.0}, "bad": {"x": -1.0}, "also_good": {"x": 2.0}}
    with pytest.warns(TaskFailureWarning, match="bad"):
        out = run_grid(broken, tasks, retries=1, progress=False, **opts)
    assert out["task"].values.tolist() == ["good", "also_good"]
    failures = grid_failures(out)
    assert failures.index.tolist() == ["bad"]
    assert "negative input" in failures.loc["bad", "error"]
    assert "broken" in failures.loc["bad", "traceback"]
    assert failures.loc["bad", "attempts"] == 2
    with pytest.raises(TaskError, match="'bad'"):
        run_grid(broken, tasks, retries=0, progress=False, on_error="raise", **opts)


def test_non_xarray_results_come_back_as_a_list():
    def square(x, seed):
        return x * x

    out = run_grid(square, [{"x": 2}, {"x": 3}], serial=True, progress=False)
    assert list(out) == [4, 9]
    assert out.failures.empty
