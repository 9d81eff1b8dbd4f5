"""Save and load fitted posteriors (netCDF via h5netcdf, or zarr) with a model-hash check.

Examples
--------
>>> from saigapop.testing import make_synthetic_posterior
>>> import tempfile, pathlib
>>> dt = make_synthetic_posterior(chains=1, draws=5)
>>> path = pathlib.Path(tempfile.mkdtemp()) / "fit.zarr"
>>> _ = save_fit(dt, path)
>>> back = load_fit(path, expected_model_hash=dt.attrs["model_hash"])
>>> back.posterior["N"].equals(dt.posterior["N"])
True
"""

from __future__ import annotations

from os import PathLike
from pathlib import Path

import xarray as xr

from saigapop.exceptions import SaigapopError

__all__ = ["ModelHashMismatchError", "load_fit", "save_fit"]


class ModelHashMismatchError(SaigapopError):
    """A saved fit was made with a different model, data or priors than expected."""


def _engine(path: Path) -> str:
    if path.suffix == ".zarr":
        return "zarr"
    if path.suffix in (".nc", ".nc4", ".h5"):
        return "netcdf"
    raise SaigapopError(f"unknown fit format {path.suffix!r}: use a '.zarr' or '.nc' path")


def _require_h5py() -> None:
    try:
        import h5py  # noqa: F401
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise SaigapopError(
            "writing/reading netCDF4 needs h5py (not installed); use a '.zarr' path instead"
        ) from err


def save_fit(dt: xr.DataTree, path: str | PathLike[str]) -> Path:
    """Write a fitted ``DataTree`` to ``path`` (``.zarr`` → zarr, ``.nc`` → netCDF4/h5netcdf).

    Zarr is the default format of the project (netCDF4 groups need ``h5py``).

    Parameters
    ----------
    dt
        Output of :func:`saigapop.model.fit.fit` (must carry ``model_hash`` in its attrs).
    path
        Destination file (netCDF) or directory (``.zarr``).

    Returns
    -------
    pathlib.Path
        The path written.
    """
    path = Path(path)
    if "model_hash" not in dt.attrs:
        raise SaigapopError("the DataTree has no 'model_hash' attribute; was it made by fit()?")
    if _engine(path) == "zarr":
        dt.to_zarr(path, mode="w", consolidated=False)
    else:
        _require_h5py()
        dt.to_netcdf(path, engine="h5netcdf", mode="w")
    return path


def load_fit(path: str | PathLike[str], *, expected_model_hash: str | None = None) -> xr.DataTree:
    """Read a fit written by :func:`save_fit`, fully into memory.

    Parameters
    ----------
    path
        File or ``.zarr`` directory.
    expected_model_hash
        If given, the stored ``model_hash`` must equal it (e.g. the hash of the model you
        are about to use: :func:`saigapop.model.fit.model_hash`).

    Returns
    -------
    xarray.DataTree

    Raises
    ------
    ModelHashMismatchError
        If ``expected_model_hash`` differs from the stored hash.
    """
    path = Path(path)
    if _engine(path) == "zarr":
        dt = xr.open_datatree(path, engine="zarr", consolidated=False)
    else:
        _require_h5py()
        dt = xr.open_datatree(path, engine="h5netcdf")
    dt = dt.load()
    dt.close()
    stored = dt.attrs.get("model_hash")
    if expected_model_hash is not None and stored != expected_model_hash:
        raise ModelHashMismatchError(
            f"saved fit has model_hash {stored!r}, expected {expected_model_hash!r}: it was "
            "made with different data, configuration or priors"
        )
    return dt
