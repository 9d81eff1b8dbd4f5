"""Report configuration: a frozen, validated object; bad settings fail before any work."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from saigapop.constants import CI_PROB
from saigapop.locale import N_, validate_language

__all__ = ["ReportConfig"]


class ReportConfig(BaseModel):
    """Settings of one report.

    Parameters
    ----------
    title
        Title on the cover and in every exporter.
    subtitle
        Second line of the cover.
    institution
        Body preparing the finding (a CITES Scientific Authority or its contractor).
    country
        Country exporting the horn (named in the summary).
    populations
        Populations to report, in order; ``None`` reports every population in the data.
    ci_prob
        Credible-interval mass used for intervals (DESIGN §3: 90 %).
    seed
        Random seed of the pipeline run, printed in the provenance.
    sampler
        Sampler settings (name, chains, draws, tune, ...), printed in the provenance.
    date
        Report date (UTC). ``None`` means now; fix it for reproducible identifiers.
    language
        Language of every reader-facing string: ``"en"`` (default) or ``"ru"`` (see
        :data:`saigapop.report.i18n.LANGUAGES`). Numbers are identical in every language;
        only their grouping and decimal symbols follow it. The default title, subtitle and
        country are translated; text you set yourself is printed as given.

    Examples
    --------
    >>> from saigapop.report import ReportConfig
    >>> cfg = ReportConfig(populations=("Ural",), seed=1)
    >>> cfg.ci_prob
    0.9
    >>> cfg.model_copy(update={"seed": 2}).seed
    2
    >>> ReportConfig(language="kk")
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for ReportConfig
    language
      Value error, unknown report language 'kk': choose one of ('en', 'ru') ...
    """

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    title: str = Field(
        N_("Biological justification of saiga horn export quotas"),
        min_length=1,
    )
    subtitle: str = Field(
        N_("CITES non-detriment finding for Saiga tatarica in Kazakhstan"),
    )
    institution: str = Field("", description="Body preparing the finding.")
    country: str = Field(N_("Kazakhstan"), min_length=1, description="Exporting country.")
    populations: tuple[str, ...] | None = None
    ci_prob: float = Field(CI_PROB, gt=0.0, lt=1.0)
    seed: int | None = None
    sampler: Mapping[str, Any] = Field(default_factory=dict)
    date: dt.datetime | None = None
    language: str = Field("en", description="Report language (en, ru).")

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        return validate_language(value)

    @field_validator("populations")
    @classmethod
    def _non_empty_unique(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if value is None:
            return None
        if not value:
            raise ValueError("populations must name at least one population (or be None)")
        if len(set(value)) != len(value):
            raise ValueError(f"populations are repeated: {value}")
        return tuple(value)

    @field_validator("date")
    @classmethod
    def _utc(cls, value: dt.datetime | None) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)

    def resolved_date(self) -> dt.datetime:
        """Return the report date: :attr:`date` if set, else the current UTC time (seconds)."""
        return self.date or dt.datetime.now(dt.UTC).replace(microsecond=0)
