"""The robustness section shows plausibility, the performance statistics with their limits,
each trial's own quota and the equal-weight quota, every number through the ValueBook."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from saigapop.management.outcomes import TrialInputs
from saigapop.management.robust import solve_across_trials
from saigapop.management.trial_grid import DEFAULT_TRIALS
from saigapop.management.trials import run_trials, synthetic_counts
from saigapop.report.config import ReportConfig
from saigapop.report.contracts import ValueBook
from saigapop.report.i18n import use_language
from saigapop.report.robustness_sections import own_quota_table, robustness_section
from saigapop.testing import synthetic_posterior

GET = {t.name: t for t in DEFAULT_TRIALS}


@pytest.fixture(scope="module")
def results():
    post = synthetic_posterior(chains=2, draws=60, seed=7, adult_male_share=0.2)
    picked = [GET[n] for n in ("base", "obs_cv_0.3", "no_density_dependence", "ppr_event")]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        across = solve_across_trials(
            post, trials=[t for t in picked if t.reweight is None], seed=1, progress=False
        )
        levels = across["quota"].values
        out = run_trials(
            post,
            levels,
            trials=picked,
            counts=synthetic_counts(post),
            seed=1,
            progress=False,
            across=across,
        )
    return out, across


def test_own_quota_table_is_the_solved_quotas(results):
    out, across = results
    table = own_quota_table(out)
    assert table["Trial"].tolist()[:4] == [
        "base",
        "obs_cv_0.3",
        "no_density_dependence",
        "ppr_event",
    ]
    for pop in ("Betpakdala", "Ural", "Ustyurt"):
        col = table[pop]
        assert col.iloc[0] == float(across["level"].sel(trial="base", population=pop))
        assert np.isnan(col.iloc[1])  # reweighted: not solved
        assert col.iloc[3] == float(across["level"].sel(trial="ppr_event", population=pop))
        assert col.iloc[4] == float(across["equal_weight_quota"].sel(population=pop))
        assert col.iloc[5] == float(across["quota"].sel(population=pop))
    assert table["Plausibility"].tolist()[:4] == ["high", "high", "high", "low"]


def test_section_registers_every_number_and_shows_limits(results):
    out, across = results
    vb = ValueBook()
    s = robustness_section({"trials": TrialInputs(trials=out)}, vb, ReportConfig())
    names = [t.name for t in s.tables]
    assert "trial_quotas" in names
    for pop in ("Betpakdala", "Ural", "Ustyurt"):
        assert vb.values[f"trials.equal_weight_quota.{pop}"] == float(
            across["equal_weight_quota"].sel(population=pop)
        )
        assert vb.values[f"trials.own_quota.ppr_event.{pop}"] == float(
            across["level"].sel(trial="ppr_event", population=pop)
        )
    assert vb.values["trials.robustness_limit_factor"] == 2
    assert vb.values["trials.equal_weight_count"] == 2  # base and no_density_dependence
    ural = next(t for t in s.tables if t.name == "trials_Ural").frame.set_index("Trial")
    assert ural.loc["ppr_event", "Limits (× reference)"] == 2.0
    assert ural.loc["base", "Limits (× reference)"] == 1.0
    np.testing.assert_allclose(
        ural["Sex-ratio failure (%)"].values,
        100 * out["decision_risk"].sel(criterion="sex_ratio", population="Ural").values,
        atol=1e-3,
    )
    grid = next(t for t in s.tables if t.name == "trial_grid").frame
    assert grid["Plausibility"].tolist() == ["high", "high", "high", "low"]
    text = " ".join(s.paragraphs)
    assert "plausibility weight" in text
    assert "equal-weight quota" in text


def test_section_in_russian_has_no_english_left_in_the_new_parts(results):
    out, _ = results
    with use_language("ru"):
        s = robustness_section(
            {"trials": TrialInputs(trials=out)}, ValueBook(), ReportConfig(language="ru")
        )
    text = " ".join(s.paragraphs)
    assert "plausibility" not in text
    assert "равными весами" in text
    grid = next(t for t in s.tables if t.name == "trial_grid").frame
    assert "Правдоподобие" in grid.columns
