"""Small helpers shared by the validation modules (not public)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import matplotlib as mpl
import numpy as np
import xarray as xr
from matplotlib.figure import Figure

from saigapop.plotting._style import RC
from saigapop.runner import run_grid

SAMPLE_DIMS = ("chain", "draw")


def group(data: xr.DataTree | xr.Dataset, name: str) -> xr.Dataset:
    """Return group ``name`` of a DataTree as a Dataset (a Dataset is returned as it is)."""
    if isinstance(data, xr.Dataset):
        return data
    if name not in data.children:
        raise KeyError(f"the DataTree has no {name!r} group (groups: {sorted(data.children)})")
    return data[name].to_dataset()


def stack_samples(ds: xr.Dataset | xr.DataArray) -> Any:
    """Stack ``chain`` and ``draw`` (whichever exist) into one ``sample`` dimension."""
    dims = [d for d in SAMPLE_DIMS if d in ds.dims]
    if not dims:
        raise ValueError("expected sample dimensions 'chain' and/or 'draw'")
    out = ds.stack(sample=dims)
    return out.drop_vars([c for c in ("sample", *dims) if c in out.coords])


def element_labels(da: xr.DataArray) -> list[str]:
    """Labels such as ``"population=Ural, sex=male"`` for every element of ``da`` (C order)."""
    if da.ndim == 0:
        return [""]
    idx = np.indices(da.shape).reshape(da.ndim, -1).T
    coords = [da[d].values if d in da.coords else np.arange(da.sizes[d]) for d in da.dims]
    return [
        ", ".join(f"{d}={coords[k][i]}" for k, (d, i) in enumerate(zip(da.dims, row, strict=True)))
        for row in idx
    ]


def figure(nrows: int = 1, ncols: int = 1, *, width: float = 6.3, height: float = 3.0) -> Any:
    """Return a matplotlib Figure (not registered with pyplot) and its axes, saigapop style."""
    with mpl.rc_context(RC):
        fig = Figure(figsize=(width, height), layout="constrained")
        axes = fig.subplots(nrows, ncols, squeeze=False)
    return fig, axes


Fitter = Callable[..., xr.DataTree]


def run_fits(
    func: Callable[..., Any],
    tasks: Sequence[Mapping[str, Any]],
    *,
    shared: Mapping[str, Any],
    grid: Mapping[str, Any] | None,
    desc: str,
    on_error: str = "raise",
) -> list[Any]:
    """Run one refit per task through :func:`saigapop.runner.run_grid`, in task order.

    Serial in this process unless ``grid`` says otherwise (``{"n_workers": 2}``,
    ``{"client": client}``); no seed is passed (each task carries its own) and nothing is
    retried: a failed fit raises (``on_error="report"`` leaves ``None`` in its place).
    """
    kwargs = {"progress": False} | (dict(grid) if grid is not None else {"serial": True})
    out = run_grid(
        func,
        list(tasks),
        shared=shared,
        seed=None,
        retries=0,
        on_error=on_error,
        desc=desc,
        **kwargs,
    )
    return list(out)
