"""Results as a ``DataTree`` and back: how :meth:`saigapop.Assessment.save` keeps every result.

A result is a (frozen) dataclass whose fields are numbers, strings, ``None``, tuples, lists,
mappings, saigapop values with ``to_dict``/``from_dict`` (a
:class:`~saigapop.locale.messages.Message`: template and values), :class:`pandas.DataFrame`,
:class:`xarray.Dataset`, :class:`xarray.DataArray` or other such dataclasses. :func:`to_node`
turns it into an :class:`xarray.DataTree` (arrays stay arrays; small values become JSON in
``attrs``; tables become JSON in pandas' ``table`` orientation, which keeps dtypes and the
index), so the tree can be written to zarr or netCDF with the fit beside it; :func:`from_node`
rebuilds the object. Fields whose dataclass
metadata says ``persist=False`` (e.g. a large operating model that is rebuilt on demand)
are stored as ``None``.

Anything else raises :class:`TypeError` naming the field, so nothing is silently lost.

Examples
--------
>>> from dataclasses import dataclass
>>> import pandas as pd
>>> @dataclass(frozen=True)
... class Result:
...     level: float
...     table: pd.DataFrame
>>> node = to_node(Result(1.5, pd.DataFrame({"a": [1, 2]})))
>>> back = from_node(node, {"Result": Result})
>>> back.level, back.table["a"].tolist()
(1.5, [1, 2])
"""

from __future__ import annotations

import dataclasses
import importlib
import io
import json
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

__all__ = ["from_node", "to_node"]

_TYPE = "saigapop_type"
_ARRAY = "saigapop_values"


def _qualified(obj: Any) -> str:
    cls = type(obj)
    return f"{cls.__module__}:{cls.__qualname__}"


def _resolve(name: str, types: Mapping[str, type] | None) -> type:
    if types and name.split(":")[-1] in types:
        return types[name.split(":")[-1]]
    module, _, qualname = name.partition(":")
    target: Any = importlib.import_module(module)
    for part in qualname.split("."):
        target = getattr(target, part)
    return target


def _self_storing(value: Any) -> bool:
    """Whether ``value`` is a saigapop object that stores itself (``to_dict``/``from_dict``)."""
    cls = type(value)
    return (
        cls.__module__.startswith("saigapop.")
        and callable(getattr(cls, "to_dict", None))
        and callable(getattr(cls, "from_dict", None))
    )


def _json_scalar(value: Any) -> Any:
    """Return ``value`` as plain JSON data, or raise :class:`TypeError`."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, int | float):
        return value
    if isinstance(value, list | tuple):
        return {"__seq__": type(value).__name__, "items": [_json_scalar(v) for v in value]}
    if isinstance(value, Mapping) and all(isinstance(k, str) for k in value):
        return {"__map__": {k: _json_scalar(v) for k, v in value.items()}}
    if _self_storing(value):  # e.g. a Message: its template and values
        return {"__object__": _qualified(value), "data": value.to_dict()}
    raise TypeError(type(value).__name__)


def _from_json(value: Any) -> Any:
    if isinstance(value, dict) and "__seq__" in value:
        items = [_from_json(v) for v in value["items"]]
        return tuple(items) if value["__seq__"] == "tuple" else items
    if isinstance(value, dict) and "__map__" in value:
        return {k: _from_json(v) for k, v in value["__map__"].items()}
    if isinstance(value, dict) and "__object__" in value:
        return _resolve(value["__object__"], None).from_dict(value["data"])
    return value


def _clean(ds: xr.Dataset) -> xr.Dataset:
    """Object-dtype variables (strings, mixed) as JSON text so every store can write them."""
    out = ds.copy()
    for name, var in {**ds.data_vars, **ds.coords}.items():
        if var.dtype == object:
            text = np.array(
                [json.dumps(_json_scalar(v)) for v in var.values.ravel()], dtype=str
            ).reshape(var.shape)
            out[name] = var.copy(data=text)
            out[name].attrs = {**var.attrs, "saigapop_json": 1}
    out.attrs = {k: json.dumps(_json_scalar(v)) for k, v in ds.attrs.items()}
    out.attrs["saigapop_json_attrs"] = 1
    return out


def _restore(ds: xr.Dataset) -> xr.Dataset:
    out = ds.copy()
    for name, var in {**ds.data_vars, **ds.coords}.items():
        if var.attrs.get("saigapop_json"):
            values = np.array(
                [_from_json(json.loads(str(v))) for v in var.values.ravel()], dtype=object
            ).reshape(var.shape)
            attrs = {k: v for k, v in var.attrs.items() if k != "saigapop_json"}
            out[name] = var.copy(data=values)
            out[name].attrs = attrs
    if ds.attrs.get("saigapop_json_attrs"):
        out.attrs = {
            k: _from_json(json.loads(v)) for k, v in ds.attrs.items() if k != "saigapop_json_attrs"
        }
    return out


def to_node(obj: Any, path: str = "") -> xr.DataTree:
    """Return ``obj`` (a dataclass, mapping, sequence, table or array) as a ``DataTree``.

    Parameters
    ----------
    obj
        The result to store.
    path
        Where ``obj`` sits in a larger result (named in errors).

    Returns
    -------
    xarray.DataTree

    Raises
    ------
    TypeError
        A value of a kind that cannot be stored, named by its field path.
    """
    if isinstance(obj, xr.DataTree):
        node = obj.copy()
        node.attrs = {**obj.attrs, _TYPE: "datatree"}
        return node
    if isinstance(obj, xr.DataArray):
        name = obj.name
        ds = _clean(obj.to_dataset(name=_ARRAY))
        ds.attrs[_TYPE] = "dataarray"
        ds.attrs["saigapop_name"] = json.dumps(None if name is None else str(name))
        return xr.DataTree(ds)
    if isinstance(obj, np.ndarray):
        node = to_node(xr.DataArray(obj), path)
        node.attrs[_TYPE] = "ndarray"
        return node
    if isinstance(obj, xr.Dataset):
        ds = _clean(obj)
        ds.attrs[_TYPE] = "dataset"
        return xr.DataTree(ds)
    if isinstance(obj, pd.DataFrame | pd.Series):
        kind = "dataframe" if isinstance(obj, pd.DataFrame) else "series"
        text = obj.to_json(orient="table", date_format="iso", default_handler=str)
        return xr.DataTree(xr.Dataset(attrs={_TYPE: kind, "saigapop_table": text}))
    node = xr.DataTree(xr.Dataset())
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        node.attrs[_TYPE] = "dataclass:" + _qualified(obj)
        items = {
            f.name: (None if f.metadata.get("persist", True) is False else getattr(obj, f.name))
            for f in dataclasses.fields(obj)
        }
    elif isinstance(obj, Mapping) and all(isinstance(k, str) for k in obj):
        node.attrs[_TYPE] = "mapping"
        items = dict(obj)
    elif isinstance(obj, list | tuple):
        node.attrs[_TYPE] = type(obj).__name__
        node.attrs["saigapop_length"] = len(obj)
        items = {str(i): v for i, v in enumerate(obj)}
    else:
        raise TypeError(f"cannot store {path or 'the result'}: {type(obj).__name__}")
    children: dict[str, xr.DataTree] = {}
    for name, value in items.items():
        try:
            node.attrs[f"field:{name}"] = json.dumps(_json_scalar(value))
        except TypeError:
            children[name] = to_node(value, f"{path}.{name}" if path else name)
    node.children = children
    return node


def from_node(node: xr.DataTree, types: Mapping[str, type] | None = None) -> Any:
    """Rebuild what :func:`to_node` stored.

    Parameters
    ----------
    node
        A node written by :func:`to_node` (possibly read back from a store).
    types
        Classes by name, for dataclasses that cannot be imported by their qualified name
        (e.g. defined in a notebook).

    Returns
    -------
    object
    """
    kind = str(node.attrs.get(_TYPE, ""))
    if kind == "datatree":
        tree = node.copy()
        tree.attrs = {k: v for k, v in node.attrs.items() if k != _TYPE}
        return tree
    if kind in ("dataset", "dataarray", "ndarray"):
        ds = node.to_dataset().copy()
        ds.attrs = {k: v for k, v in ds.attrs.items() if k != _TYPE}
        name = json.loads(ds.attrs.pop("saigapop_name", "null"))
        ds = _restore(ds)
        if kind == "ndarray":
            return ds[_ARRAY].values
        if kind == "dataarray":
            return ds[_ARRAY].rename(name)
        return ds
    if kind in ("dataframe", "series"):
        text = str(node.attrs["saigapop_table"])
        if kind == "series":
            return pd.read_json(io.StringIO(text), orient="table", typ="series")
        return pd.read_json(io.StringIO(text), orient="table")
    values: dict[str, Any] = {
        key.removeprefix("field:"): _from_json(json.loads(v))
        for key, v in node.attrs.items()
        if key.startswith("field:")
    }
    for name, child in node.children.items():
        values[name] = from_node(child, types)
    if kind.startswith("dataclass:"):
        cls = _resolve(kind.removeprefix("dataclass:"), types)
        names = {f.name for f in dataclasses.fields(cls) if f.init}
        obj = cls(**{k: v for k, v in values.items() if k in names})
        for f in dataclasses.fields(cls):
            if not f.init and f.name in values:
                object.__setattr__(obj, f.name, values[f.name])
        return obj
    if kind == "mapping":
        return values
    if kind in ("list", "tuple"):
        seq = [values[str(i)] for i in range(int(node.attrs["saigapop_length"]))]
        return tuple(seq) if kind == "tuple" else seq
    raise TypeError(f"not a stored result (no {_TYPE!r} attribute): {node.path}")
