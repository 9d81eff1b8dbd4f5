"""A zero quota set by a market-effect trial is flagged: trade itself is what fails there."""

from __future__ import annotations

import dataclasses
import warnings

import pytest
from test_report_russian_messages import latin_words

from saigapop.locale import use_language
from saigapop.management import OperatingModel, solve_quota
from saigapop.management.outcomes import QuotaInputs
from saigapop.management.trial_grid import trade_effect_trials
from saigapop.report.config import ReportConfig
from saigapop.report.contracts import ValueBook
from saigapop.report.quota_sections import quota_summary
from saigapop.testing import synthetic_posterior


@pytest.fixture(scope="module")
def result():
    post = synthetic_posterior(chains=1, draws=30, seed=6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return solve_quota(OperatingModel.from_posterior(post, seed=6), progress=False)


def _bound(result, pop, binding, level):
    lv, bd = result.level.copy(), result.binding.copy()
    lv.loc[{"population": pop}] = level
    bd.loc[{"population": pop}] = binding
    return QuotaInputs(dataclasses.replace(result, level=lv, binding=bd))


def test_the_warning_names_the_population_and_the_market_trial(result):
    pop = str(result.level["population"].values[0])
    assert "trade_poaching_persists" in trade_effect_trials()
    q = _bound(result, pop, "sex_ratio (trade_poaching_persists)", 0.0)
    paragraphs, _ = quota_summary(q, ValueBook(), ReportConfig(), recommended=True)
    warning = [p for p in paragraphs if p.startswith("Warning: the quota is 0")]
    assert len(warning) == 1
    assert pop in warning[0]
    assert "'trade_poaching_persists'" in warning[0]
    with use_language("ru"):
        ru, _ = quota_summary(q, ValueBook(), ReportConfig(language="ru"), recommended=True)
    assert latin_words([p for p in ru if "trade_poaching_persists" in p]) == []


@pytest.mark.parametrize(
    ("binding", "level"),
    [("sex_ratio (density_at_current)", 0.0), ("sex_ratio (trade_poaching_persists)", 12.0)],
)
def test_no_warning_for_other_trials_or_a_positive_quota(result, binding, level):
    pop = str(result.level["population"].values[0])
    q = _bound(result, pop, binding, level)
    paragraphs, _ = quota_summary(q, ValueBook(), ReportConfig(), recommended=True)
    assert not any(p.startswith("Warning: the quota is 0") for p in paragraphs)
