import io
import json
import re

import pandas as pd
import pytest

from saigapop.report import format_value, read_bundle, write_bundle, write_report


def _expected(payload):
    return {name: format_value(value, name) for name, value in payload.values.items()}


@pytest.mark.parametrize("fmt", ["html", "pdf", "docx"])
def test_every_named_value_appears_in_each_export(payload, texts, fmt):
    text = texts[fmt]
    missing = {k: v for k, v in _expected(payload).items() if v not in text}
    assert not missing


@pytest.mark.parametrize("fmt", ["html", "pdf", "docx"])
def test_prose_and_alerts_appear_in_each_export(payload, texts, fmt):
    text = texts[fmt]
    assert payload.report_id in text
    for alert in payload.alerts:
        assert alert in text
    # the latest counts sentence, verbatim (numbers formatted by format_value)
    latest = payload.section("data_census").paragraphs[1]
    assert latest in text


@pytest.mark.parametrize("fmt", ["html", "pdf", "docx"])
def test_every_census_count_appears_in_each_export(payload, texts, fmt):
    counts = payload.table("census")["Count (animals)"].dropna()
    text = texts[fmt]
    assert all(format_value(v) in text for v in counts)


def test_html_has_no_external_resource(html):
    lowered = html.lower()
    for forbidden in (
        "<link",
        "<script src",
        '<img src="http',
        "@import",
        "url(http",
        "<iframe",
        "<object",
        "<embed",
    ):
        assert forbidden not in lowered
    for src in re.findall(r'src="([^"]*)"', html):
        assert src.startswith("data:image/png;base64,")
    assert '<a href="https://' in html  # sources stay clickable
    assert "<style>" in html


def test_html_escapes_text(payload):
    import dataclasses

    from saigapop.report import render_html

    evil = dataclasses.replace(payload, institution="<script>alert(1)</script>")
    html = render_html(evil)
    assert "<script>alert" not in html
    assert "&lt;script&gt;" in html


def test_pdf_is_a4_with_page_numbers(pdf, texts):
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    n = len(reader.pages)
    width, height = (float(x) for x in reader.pages[0].mediabox.upper_right)
    assert (round(width), round(height)) == (595, 842)
    assert f"Page 1 of {n}" in texts["pdf"]
    assert f"Page {n} of {n}" in texts["pdf"]


def test_docx_has_headings_tables_and_figures(payload, docx_bytes):
    import docx

    doc = docx.Document(io.BytesIO(docx_bytes))
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert "1 Summary and recommended quotas" in headings
    assert any(h.endswith("Spring census") for h in headings)
    n_tables = sum(1 for _ in payload.tables())
    assert len(doc.tables) == n_tables
    assert len(doc.inline_shapes) == sum(len(s.figures) for s in payload.sections)
    assert doc.core_properties.identifier == payload.report_id


def test_bundle_round_trips(payload, tmp_path):
    bundle = read_bundle(write_bundle(payload, tmp_path / "b"))
    assert bundle.report_id == payload.report_id
    assert bundle.values == dict(payload.values)
    assert bundle.provenance == payload.provenance.as_dict()
    assert set(bundle.tables) == set(payload.to_dataframes())
    for name, frame in payload.to_dataframes().items():
        pd.testing.assert_frame_equal(bundle.tables[name], frame, check_exact=True)


def test_bundle_is_locale_neutral(payload, tmp_path):
    folder = write_bundle(payload, tmp_path / "b")
    text = (folder / "tables" / "census.csv").read_text(encoding="utf-8")
    header = text.splitlines()[0]
    assert header.startswith("Population,Year,Kind,Count (animals)")
    assert "\nUral,2025,count,2300000.0," in text
    meta = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    assert meta["values"]["census.Ural.latest_count_animals"] == 2300000
    assert {t["file"] for t in meta["tables"]} == {
        f"tables/{name}.csv" for name in payload.to_dataframes()
    }


def test_write_report_names_files_after_the_report(payload, tmp_path):
    written = []
    paths = write_report(
        payload,
        tmp_path,
        formats=["bundle", "html", "docx"],
        on_written=lambda f, p: written.append(f),
    )
    assert written == ["html", "docx", "bundle"]
    assert paths["html"].name == f"{payload.report_id}.html"
    assert paths["docx"].stat().st_size > 10_000
    assert (paths["bundle"] / "report.json").is_file()
    with pytest.raises(ValueError, match="unknown report format"):
        write_report(payload, tmp_path, formats=["pdf", "xlsx"])
