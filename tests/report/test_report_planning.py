"""The report's sentence on census figures equal to a planning estimate (issue 17)."""

from __future__ import annotations

import pandas as pd

from saigapop.locale import use_language
from saigapop.report.config import ReportConfig
from saigapop.report.contracts import ValueBook
from saigapop.report.validation_sections import sensitivity_section
from saigapop.validation.outcomes import ValidationInputs


def _planning(treatment: str, khat: float) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "population": ["Betpakdala", "Ural", "Ustyurt"],
            "value": [9100.0, 12000.0, 310.0],
            "reference": [8000.0, 11000.0, 300.0],
            "khat": khat,
            "ess": 850.4,
            "reliable": khat <= 0.7,
            "treatment": treatment,
            "rows": "Betpakdala 2025 1600000; Ural 2025 2300000",
            "flagged_year": [2025.0, 2025.0, float("nan")],
            "flagged_value": [1.6e6, 2.3e6, float("nan")],
            "method": "reweighted",
        }
    )


def _text(planning: pd.DataFrame, language: str = "en") -> tuple[str, ValueBook]:
    vb = ValueBook()
    with use_language(language):
        s = sensitivity_section(
            {"validation": ValidationInputs(planning=planning)}, vb, ReportConfig()
        )
    return " ".join(s.paragraphs).replace("\u00a0", " "), vb


def test_the_sentence_gives_the_rows_the_quotas_and_the_reweighting():
    text, vb = _text(_planning("count", 0.41))
    assert (
        "Census figures Betpakdala 2025 (1,600,000) and Ural 2025 (2,300,000) equal the "
        "ministry's planning estimate; they are left out of the fit (the default). With them "
        "as counts the quota in the fitted operating model would be Betpakdala 9,100, Ural "
        "12,000 and Ustyurt 310 adult males a year, against Betpakdala 8,000, Ural 11,000 and "
        "Ustyurt 300 without them (PSIS reweighting, k̂ 0.410, ESS 850)." in text
    )
    assert vb.values["sensitivity.planning.Ural"] == 12000
    assert vb.values["sensitivity.planning.Ural.reference"] == 11000
    assert vb.values["sensitivity.planning.khat"] == 0.41
    assert vb.values["sensitivity.planning.Betpakdala.year"] == 2025
    assert "refit" not in text


def test_the_reverse_direction_and_an_unreliable_reweighting_are_said():
    text, _ = _text(_planning("left_out", 0.8))
    assert "this fit uses them as counts (not the default). Left out, the quota" in text
    assert "against Betpakdala 8,000, Ural 11,000 and Ustyurt 300 with them" in text
    assert "k̂ is above 0.7: these quotas need a refit and are not results." in text


def test_the_sentence_reads_in_russian():
    text, _ = _text(_planning("count", 0.41), "ru")
    assert "Бетпакдала 2025 (1 600 000)" in text
    assert "совпадают с плановой оценкой министерства" in text
    assert "census" not in text.lower()
    assert "quota" not in text.lower()
