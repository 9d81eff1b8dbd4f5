"""Data sections of the report: census, removals, die-offs, composition.

Built from a validated :class:`saigapop.SaigaData` only. The builders live in
:mod:`~saigapop.report.census_sections` (introduction, census) and
:mod:`~saigapop.report.removal_sections` (removals, die-offs, composition), their shared
helpers in :mod:`~saigapop.report._data_words`; this module keeps their public names.
"""

from __future__ import annotations

from saigapop.report._data_words import SaigaDataLike
from saigapop.report.census_sections import census_section, census_table, data_intro_section
from saigapop.report.removal_sections import (
    composition_section,
    die_off_section,
    removals_section,
)

__all__ = [
    "SaigaDataLike",
    "census_section",
    "census_table",
    "composition_section",
    "data_intro_section",
    "die_off_section",
    "removals_section",
]
