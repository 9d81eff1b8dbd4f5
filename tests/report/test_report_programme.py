"""The whole-programme section lays out a ProgrammeResult, in English and in Russian."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest
from test_report_russian_messages import latin_words

from saigapop.locale import gettext, use_language
from saigapop.management.operating_model import OperatingModel
from saigapop.management.outcomes import QuotaInputs
from saigapop.management.programme import solve_programme
from saigapop.management.quota import solve_quota
from saigapop.report.config import ReportConfig
from saigapop.report.contracts import ValueBook
from saigapop.report.programme_sections import programme_section, programme_summary
from saigapop.testing import synthetic_posterior

NO_REMOVALS = pd.DataFrame(
    columns=["population", "year", "kind", "status", "timing", "sex", "age", "unit", "value",
             "lower", "upper"]
)  # fmt: skip


@pytest.fixture(scope="module")
def quota():
    post = synthetic_posterior(chains=1, draws=30, seed=4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        prog = solve_programme(post, NO_REMOVALS, seed=4, om_draws=30)
        result = solve_quota(OperatingModel.from_posterior(post, seed=4), progress=False)
    return QuotaInputs(result, programme=prog)


def test_the_table_is_the_result_in_whole_animals_with_a_national_sum(quota):
    prog = quota.programme
    vb = ValueBook()
    section = programme_section({"quota": quota}, vb, ReportConfig())
    table = section.tables[0].frame.set_index("Population")
    for pop in prog.limit["population"].values:
        assert table.loc[str(pop), "Limit (adult males a year)"] == round(
            float(prog.limit.sel(population=pop))
        )
        assert vb.values[f"programme.{pop}.plannable"] == round(
            float(prog.plannable.sel(population=pop))
        )
    national = table.loc["National"]
    assert national["Limit (adult males a year)"] == round(prog.national()["limit"])
    summary = programme_summary(quota, vb, ReportConfig())
    assert len(summary) == 1
    assert vb.values["programme.national.limit"] == round(prog.national()["limit"])


def test_without_a_programme_the_section_says_it_was_not_computed(quota):
    bare = QuotaInputs(quota.result)
    section = programme_section({"quota": bare}, ValueBook(), ReportConfig())
    assert section.computed is False
    assert programme_summary(bare, ValueBook(), ReportConfig()) == []


def test_the_russian_section_has_no_english_sentence(quota):
    with use_language("ru"):
        section = programme_section({"quota": quota}, ValueBook(), ReportConfig(language="ru"))
        summary = programme_summary(quota, ValueBook(), ReportConfig(language="ru"))
        # column titles are translated where they are shown, as the exporters do
        headers = [gettext(str(c)) for c in section.tables[0].frame.columns]
    texts = [*section.paragraphs, *summary, section.title, section.tables[0].caption, *headers]
    assert latin_words(texts) == []
