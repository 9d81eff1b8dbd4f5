"""One runner for grids of independent tasks: trials, MSE replicate blocks, SBC/recovery fits.

DESIGN §5 (scale): every grid runs through :func:`run_grid` on `Dask distributed
<https://distributed.dask.org>`_ — a ``LocalCluster`` on the user's machine by default
(processes, two workers, one thread each), any scheduler by address, or an existing
``Client`` — so a research group can send a large grid to a cluster without changing code.
``serial=True`` runs the same tasks in this process and gives the same numbers.

Contract of a task function::

    func(**task_kwargs, **shared, seed=<int>) -> xarray.Dataset | xarray.DataArray | object

* **Seeding.** Task *i* gets ``seed = SeedSequence(master_seed).spawn(n)[i]`` turned into a
  64-bit integer (:func:`task_seeds`), so results do not depend on where or in which order
  tasks run: parallel == serial exactly.
* **Results.** When every successful result is an xarray object they are concatenated along
  a ``task`` dim labelled with the task labels (in task order); otherwise a list (``None``
  where a task failed) is returned.
* **Failures.** A failing task is retried ``retries`` times, then *reported*: a
  :class:`TaskFailureWarning` names it, and the result carries the failures table
  (:func:`grid_failures`: label, error, traceback). With ``on_error="raise"`` the first
  failure raises :class:`TaskError` with the task label and the remote traceback. Nothing
  is silently dropped.
* **Shared inputs** (a posterior, say) are given once in ``shared``; on a cluster they are
  scattered to the workers once, not pickled into every task.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import traceback as tb
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
import xarray as xr
from tqdm.auto import tqdm

__all__ = [
    "GridList",
    "TaskError",
    "TaskFailureWarning",
    "grid_failures",
    "run_grid",
    "task_seeds",
]

#: Default number of local workers (the project's reference machine has two cores).
DEFAULT_WORKERS: int = 2


class TaskFailureWarning(UserWarning):
    """Some tasks of a grid failed after their retries; see :func:`grid_failures`."""


class TaskError(RuntimeError):
    """A task failed after its retries (raised with ``on_error="raise"``)."""

    def __init__(self, label: str, error: str, traceback: str) -> None:
        super().__init__(f"task {label!r} failed: {error}\n{traceback}")
        self.label, self.error, self.traceback = label, error, traceback


class GridList(list):
    """A list of task results with a ``failures`` table (non-xarray results)."""

    failures: pd.DataFrame


@dataclass(frozen=True)
class _Failure:
    label: str
    error: str
    traceback: str
    attempts: int


def task_seeds(seed: int, n: int) -> list[int]:
    """Independent 64-bit seeds for ``n`` tasks, spawned from a master seed.

    Parameters
    ----------
    seed
        Master seed.
    n
        Number of tasks.

    Returns
    -------
    list of int
        ``SeedSequence(seed).spawn(n)[i]`` as integers (stable across runs and machines).

    Examples
    --------
    >>> task_seeds(1, 2) == task_seeds(1, 2)
    True
    >>> len(set(task_seeds(1, 100)))
    100
    """
    children = np.random.SeedSequence(seed).spawn(n)
    return [int(c.generate_state(1, dtype=np.uint64)[0]) for c in children]


def _normalise_tasks(
    tasks: Mapping[str, Mapping[str, Any]] | Sequence[Mapping[str, Any]],
) -> list[tuple[str, dict[str, Any]]]:
    if isinstance(tasks, Mapping):
        items = [(str(k), dict(v)) for k, v in tasks.items()]
    else:
        items = [(str(i), dict(v)) for i, v in enumerate(tasks)]
    labels = [k for k, _ in items]
    if len(set(labels)) != len(labels):
        raise ValueError("task labels must be unique")
    return items


def _accepts_seed(func: Callable[..., Any]) -> bool:
    try:
        params = inspect.signature(func).parameters
    except (TypeError, ValueError):
        return True
    return "seed" in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


def _call(func: Callable[..., Any], kwargs: dict[str, Any], seed: int | None) -> Any:
    """Run one task (module level so workers can unpickle it)."""
    return func(**kwargs) if seed is None else func(**kwargs, seed=seed)


def _bar(total: int, show: bool, desc: str) -> tqdm:
    return tqdm(total=total, disable=not show, desc=desc, leave=False)


def _run_serial(
    func: Callable[..., Any],
    items: list[tuple[str, dict[str, Any]]],
    seeds: list[int | None],
    shared: Mapping[str, Any],
    retries: int,
    on_error: str,
    progress: bool,
    desc: str,
) -> tuple[list[Any], list[_Failure]]:
    results: list[Any] = [None] * len(items)
    failures: list[_Failure] = []
    with _bar(len(items), progress, desc) as bar:
        for i, (label, kwargs) in enumerate(items):
            for attempt in range(retries + 1):
                try:
                    results[i] = _call(func, {**kwargs, **shared}, seeds[i])
                    break
                except Exception as exc:  # every failure is reported
                    if attempt == retries:
                        fail = _Failure(label, repr(exc), tb.format_exc(), retries + 1)
                        if on_error == "raise":
                            raise TaskError(label, fail.error, fail.traceback) from exc
                        failures.append(fail)
            bar.update()
    return results, failures


@contextlib.contextmanager
def _client(client: Any, scheduler_address: str | None, n_workers: int | None) -> Iterator[Any]:
    from distributed import Client, LocalCluster  # lazy: Dask starts only when used

    if client is not None:
        yield client
        return
    if scheduler_address is not None:
        with Client(scheduler_address) as c:
            yield c
        return
    with (
        LocalCluster(
            n_workers=n_workers or DEFAULT_WORKERS,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as c,
    ):
        yield c


def _run_dask(
    func: Callable[..., Any],
    items: list[tuple[str, dict[str, Any]]],
    seeds: list[int | None],
    shared: Mapping[str, Any],
    retries: int,
    on_error: str,
    progress: bool,
    desc: str,
    client: Any,
    scheduler_address: str | None,
    n_workers: int | None,
) -> tuple[list[Any], list[_Failure]]:
    from distributed import as_completed  # lazy: Dask starts only when used

    results: list[Any] = [None] * len(items)
    failures: list[_Failure] = []
    with _client(client, scheduler_address, n_workers) as c:
        # large inputs (posteriors, arrays) go to the workers once; small ones ride along
        big = (xr.Dataset, xr.DataArray, xr.DataTree, np.ndarray, pd.DataFrame)
        scattered = {
            k: c.scatter(v, broadcast=True, hash=False) if isinstance(v, big) else v
            for k, v in shared.items()
        }
        index = {}
        futures = []
        for i, (label, kwargs) in enumerate(items):
            fut = c.submit(
                _call,
                func,
                {**kwargs, **scattered},
                seeds[i],
                retries=retries,
                pure=False,
                key=f"saigapop-task-{i}-{label}-{seeds[i]}",
            )
            index[fut.key] = i
            futures.append(fut)
        with _bar(len(items), progress, desc) as bar:
            for fut in as_completed(futures):
                i = index[fut.key]
                if fut.status == "error":
                    exc = fut.exception()
                    trace = "".join(tb.format_tb(fut.traceback())) if fut.traceback() else ""
                    fail = _Failure(items[i][0], repr(exc), trace, retries + 1)
                    if on_error == "raise":
                        for other in futures:
                            other.cancel()
                        raise TaskError(fail.label, fail.error, fail.traceback)
                    failures.append(fail)
                else:
                    results[i] = fut.result()
                bar.update()
        del futures, scattered
    order = {label: k for k, (label, _) in enumerate(items)}
    failures.sort(key=lambda f: order[f.label])
    return results, failures


def _failure_table(failures: list[_Failure]) -> pd.DataFrame:
    return pd.DataFrame(
        [f.__dict__ for f in failures], columns=["label", "error", "traceback", "attempts"]
    ).set_index("label")


def grid_failures(result: xr.Dataset | xr.DataArray | GridList) -> pd.DataFrame:
    """Return the failures table of a :func:`run_grid` result (empty if none failed).

    Examples
    --------
    >>> def f(x, seed):
    ...     return xr.Dataset({"y": 1.0 / x})
    >>> out = run_grid(f, {"a": {"x": 1.0}}, serial=True, progress=False)
    >>> grid_failures(out).empty
    True
    """
    if isinstance(result, GridList):
        return result.failures
    records = json.loads(result.attrs.get("failures", "[]"))
    return _failure_table([_Failure(**r) for r in records])


def run_grid(
    func: Callable[..., Any],
    tasks: Mapping[str, Mapping[str, Any]] | Sequence[Mapping[str, Any]],
    *,
    shared: Mapping[str, Any] | None = None,
    seed: int | None = 0,
    client: Any = None,
    scheduler_address: str | None = None,
    n_workers: int | None = None,
    retries: int = 1,
    progress: bool = True,
    serial: bool = False,
    on_error: Literal["report", "raise"] = "report",
    dim: str = "task",
    desc: str = "grid",
) -> xr.Dataset | xr.DataArray | GridList:
    """Run ``func`` over a grid of tasks on Dask distributed (or serially) and gather results.

    Parameters
    ----------
    func
        A picklable function (module level). Called as ``func(**task, **shared, seed=s)``;
        ``seed`` is not passed when ``func`` takes no ``seed`` or ``seed=None`` here.
    tasks
        ``{label: kwargs}`` or a sequence of kwargs (labelled ``"0"``, ``"1"``, …).
    shared
        Keyword arguments common to every task (scattered once to the workers).
    seed
        Master seed; task *i* gets :func:`task_seeds` ``(seed, n)[i]``.
    client
        An existing ``distributed.Client`` (not closed here).
    scheduler_address
        Address of a running scheduler (``"tcp://host:8786"``); used when ``client`` is
        not given.
    n_workers
        Workers of the default ``LocalCluster`` (processes, one thread each; default 2).
    retries
        Times a failing task is retried before it is reported.
    progress
        Show a progress bar over completed tasks.
    serial
        Run in this process, one task after another (same seeds, same results).
    on_error
        ``"report"`` (warn and return the failures table with the results) or ``"raise"``.
    dim
        Name of the concatenation dim.
    desc
        Progress-bar label.

    Returns
    -------
    xarray.Dataset or xarray.DataArray or GridList
        xarray results concatenated along ``dim`` (coordinate: the labels of the tasks that
        succeeded, in task order), with ``attrs["failures"]`` (JSON; read it with
        :func:`grid_failures`) and ``attrs["seed"]``; other results as a :class:`GridList`
        with ``None`` for failed tasks.

    Raises
    ------
    TaskError
        With ``on_error="raise"``, for the first task that fails after its retries.

    Examples
    --------
    >>> def draw(scale, seed):
    ...     rng = np.random.default_rng(seed)
    ...     return xr.Dataset({"x": ("i", scale * rng.random(2))})
    >>> out = run_grid(draw, {"small": {"scale": 1.0}, "big": {"scale": 10.0}},
    ...                serial=True, progress=False)
    >>> out["task"].values.tolist(), dict(out.sizes)
    (['small', 'big'], {'task': 2, 'i': 2})
    """
    if on_error not in ("report", "raise"):
        raise ValueError(f"on_error must be 'report' or 'raise', got {on_error!r}")
    if retries < 0:
        raise ValueError(f"retries must be ≥ 0, got {retries}")
    items = _normalise_tasks(tasks)
    shared = dict(shared or {})
    use_seed = seed is not None and _accepts_seed(func)
    seeds: list[int | None] = (
        list(task_seeds(int(seed), len(items))) if use_seed else [None] * len(items)
    )
    if serial:
        results, failures = _run_serial(
            func, items, seeds, shared, retries, on_error, progress, desc
        )
    else:
        results, failures = _run_dask(
            func,
            items,
            seeds,
            shared,
            retries,
            on_error,
            progress,
            desc,
            client,
            scheduler_address,
            n_workers,
        )
    if failures:
        warnings.warn(
            f"{len(failures)} of {len(items)} tasks failed after {retries} retr"
            f"{'y' if retries == 1 else 'ies'}: {', '.join(f.label for f in failures)} "
            "(see saigapop.runner.grid_failures)",
            TaskFailureWarning,
            stacklevel=2,
        )
    ok = [(label, r) for (label, _), r in zip(items, results, strict=True) if r is not None]
    failed = {f.label for f in failures}
    ok = [(label, r) for label, r in ok if label not in failed]
    if ok and all(isinstance(r, xr.Dataset | xr.DataArray) for _, r in ok):
        labels = xr.DataArray([label for label, _ in ok], dims=dim, name=dim)
        out = xr.concat([r for _, r in ok], dim=labels, coords="minimal", compat="override")
        out.attrs["failures"] = json.dumps([f.__dict__ for f in failures])
        out.attrs["seed"] = -1 if seed is None else int(seed)
        return out
    gl = GridList(results)
    gl.failures = _failure_table(failures)
    return gl
