"""What the data sections share: the data they read and the helpers that order and label it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import pandas as pd

from saigapop import constants as C

__all__ = ["NATIONAL", "SaigaDataLike"]

NATIONAL = "national"
_CULL_KINDS = ("cull", "harvest", "capture")


class SaigaDataLike(Protocol):
    """What the report needs from :class:`saigapop.SaigaData`."""

    census: pd.DataFrame
    removals: pd.DataFrame
    composition: pd.DataFrame
    populations: tuple[str, ...]
    files: tuple[str, ...]
    warnings: tuple

    @property
    def data_hash(self) -> str: ...


def _pop_label(pop: str) -> str:
    return NATIONAL if pop == C.TOTAL else pop


def _order(frame: pd.DataFrame, populations: Sequence[str], kinds: Sequence[str]) -> pd.DataFrame:
    pop_rank = {p: i for i, p in enumerate([*populations, C.TOTAL])}
    kind_rank = {k: i for i, k in enumerate(kinds)}
    keys = pd.DataFrame(
        {
            "year": frame["year"],
            "pop": frame["population"].map(lambda p: pop_rank.get(p, len(pop_rank))),
            "kind": frame["kind"].map(lambda k: kind_rank.get(k, len(kind_rank))),
            "row": frame["row"] if "row" in frame.columns else 0,
        }
    )
    return frame.loc[keys.sort_values(["year", "pop", "kind", "row"]).index]


def _col(frame: pd.DataFrame, name: str, default: object = "") -> pd.Series:
    if name in frame.columns:
        return frame[name]
    return pd.Series([default] * len(frame), index=frame.index)


def _flags(series: pd.Series) -> pd.Series:
    return series.fillna("").astype(str).str.replace(C.FLAG_SEPARATOR, ", ", regex=False)


def _trace(frame: pd.DataFrame) -> dict[str, pd.Series]:
    return {
        "Notes": _col(frame, "notes").astype(str),
        "File": _col(frame, "file").astype(str),
        "Row": _col(frame, "row", 0).astype("int64"),
    }
