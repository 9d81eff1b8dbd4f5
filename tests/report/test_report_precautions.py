"""The precautions section lays out precaution_costs, in English and in Russian."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest
from test_report_russian_messages import latin_words

from saigapop.locale import gettext, use_language
from saigapop.management import precaution_costs, recommend_quota
from saigapop.management.outcomes import QuotaInputs
from saigapop.report.config import ReportConfig
from saigapop.report.contracts import ValueBook
from saigapop.report.precaution_sections import precautions_section, precautions_summary
from saigapop.testing import synthetic_posterior

NO_REMOVALS = pd.DataFrame(
    columns=["population", "year", "kind", "status", "timing", "sex", "age", "unit", "value",
             "lower", "upper"]
)  # fmt: skip


@pytest.fixture(scope="module")
def quota():
    post = synthetic_posterior(chains=1, draws=30, seed=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rec = recommend_quota(post, NO_REMOVALS, seed=5)
        ds = precaution_costs(post, NO_REMOVALS, seed=5, full=rec)
    return QuotaInputs(rec.result, precautions=ds)


def test_the_tables_are_the_dataset_in_whole_animals(quota):
    ds = quota.precautions
    vb = ValueBook()
    section = precautions_section({"quota": quota}, vb, ReportConfig())
    alone, cumulative = (t.frame.set_index("Removed") for t in section.tables)
    pops = [str(p) for p in ds["population"].values]
    assert len(alone) == ds.sizes["precaution"] + 1
    assert len(cumulative) == ds.sizes["step"] + 1
    for p in pops:
        assert alone.iloc[0][p] == round(float(ds["full"].sel(population=p)))
        assert list(alone[p].iloc[1:]) == [round(float(v)) for v in ds["without"].sel(population=p)]
        assert list(cumulative[p].iloc[1:]) == [
            round(float(v)) for v in ds["cumulative"].sel(population=p)
        ]
        assert vb.values[f"precautions.{p}.cumulative.trade_poaching"] == round(
            float(ds["cumulative"].sel(population=p, step="trade_poaching"))
        )
    summary = precautions_summary(quota, vb, ReportConfig())
    assert len(summary) == 1
    p = pops[0]
    largest = round(float(ds["cost"].sel(population=p).max()))
    assert vb.values[f"precautions.{p}.largest_cost"] == largest


def test_without_costs_the_section_says_it_was_not_computed(quota):
    bare = QuotaInputs(quota.result)
    assert precautions_section({"quota": bare}, ValueBook(), ReportConfig()).computed is False
    assert precautions_summary(bare, ValueBook(), ReportConfig()) == []


def test_the_russian_section_has_no_english_sentence(quota):
    with use_language("ru"):
        section = precautions_section({"quota": quota}, ValueBook(), ReportConfig(language="ru"))
        summary = precautions_summary(quota, ValueBook(), ReportConfig(language="ru"))
        headers = [gettext(str(c)) for t in section.tables for c in t.frame.columns]
        cells = [str(v) for t in section.tables for v in t.frame.iloc[:, 0]]
    texts = [*section.paragraphs, *summary, section.title, *headers, *cells]
    texts += [t.caption for t in section.tables]
    assert latin_words(texts) == []
