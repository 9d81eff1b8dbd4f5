"""Maintain the message catalogues: extract the messages of the code, update the ``.po`` files.

Run from the repository root after changing reader-facing text::

    python -m saigapop.locale.catalog          # extract, then update every .po
    python -m saigapop.locale.catalog --check  # exit 1 if a message lacks a translation

Extraction uses Babel on the Python sources of :data:`SOURCES` (keywords ``_``,
``gettext``, ``N_``, ``ngettext``, ``pgettext``, ``NP_`` and ``plural``) and on the Jinja2 report
template. Updating keeps existing translations, adds new messages untranslated and marks
obsolete ones (``#~``), as ``pybabel update`` does.
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from saigapop.locale import DOMAIN, LANGUAGES, po_path
from saigapop.management.trial_grid import DEFAULT_TRIALS
from saigapop.model.priors import priors_table
from saigapop.registry import FAULTS

__all__ = ["KEYWORDS", "SOURCES", "extract_messages", "missing_translations", "update_catalogues"]

#: Package folders whose reader-facing strings are translated.
SOURCES: tuple[str, ...] = ("report", "plotting", "management", "validation", "registry", "locale")
#: Babel keyword specifications: function name → argument positions of the message(s).
KEYWORDS = {
    "_": None,
    "gettext": None,
    "N_": None,
    "ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
    "NP_": (1, 2),
    "plural": (2, 3),
}
_METHODS = [
    ("**/templates/**.j2", "jinja2"),
    ("**.py", "python"),
]
_OPTIONS = {"**/templates/**.j2": {"extensions": "jinja2.ext.i18n", "silent": "false"}}


def _package_dir() -> Path:
    return Path(__file__).resolve().parent.parent


def extract_messages() -> Catalog:
    """Every translatable message of :data:`SOURCES`, with its source locations.

    Examples
    --------
    >>> cat = extract_messages()
    >>> "Contents" in cat and "Spring census" in cat
    True
    """
    catalog = Catalog(domain=DOMAIN, project="saigapop", charset="utf-8")
    root = _package_dir()
    for folder in SOURCES:
        found = extract_from_dir(
            root / folder,
            method_map=_METHODS,
            options_map=_OPTIONS,
            keywords=KEYWORDS,
            comment_tags=("TRANSLATORS:",),
            strip_comment_tags=True,
        )
        for filename, lineno, message, comments, context in found:
            if not message or (isinstance(message, tuple) and not message[0]):
                continue
            path = f"saigapop/{folder}/{filename}"
            catalog.add(message, None, [(path, lineno)], auto_comments=comments, context=context)
    for message, location in _external_messages():
        catalog.add(message, None, [location], auto_comments=["text of another module"])
    return catalog


def _external_messages() -> list[tuple[str, tuple[str, int]]]:
    """Return the text other modules write and the report shows.

    The rationale and source notes of each prior (:mod:`saigapop.model.priors`), the
    description of each robustness trial (:mod:`saigapop.management.trials`) and the evidence
    for its plausibility weight, and of each registry fault (:mod:`saigapop.registry`).
    """
    table = priors_table()
    out = [(str(t), "saigapop/model/priors.py") for t in (*table["rationale"], *table["citation"])]
    out += [(t.description, "saigapop/management/trials.py") for t in DEFAULT_TRIALS]
    out += [(t.evidence, "saigapop/management/trial_grid.py") for t in DEFAULT_TRIALS]
    out += [(text, "saigapop/registry/schema.py") for text in FAULTS.values()]
    return [(text, (path, 0)) for text, path in dict(reversed(out)).items()]


def update_catalogues() -> dict[str, int]:
    """Update every ``.po`` from the code; return the untranslated count per language."""
    template = extract_messages()
    untranslated = {}
    for language in LANGUAGES:
        if language == "en":
            continue
        path = Path(str(po_path(language)))
        if path.exists():
            with path.open("rb") as fh:
                catalog = read_po(fh, locale=language, domain=DOMAIN)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            catalog = Catalog(locale=language, domain=DOMAIN, project="saigapop")
        catalog.update(template, no_fuzzy_matching=True)
        buf = io.BytesIO()
        write_po(buf, catalog, width=100, sort_output=False, omit_header=False)
        path.write_bytes(buf.getvalue())
        untranslated[language] = len(missing_translations(language, template))
    return untranslated


def missing_translations(language: str, template: Catalog | None = None) -> list[str]:
    """Messages of the code with no (or a fuzzy) translation in ``language``'s ``.po``."""
    template = template or extract_messages()
    with po_path(language).open("rb") as fh:
        catalog = read_po(fh, locale=language, domain=DOMAIN)
    missing = []
    for msg in template:
        if not msg.id:
            continue
        have = catalog.get(msg.id, context=msg.context)
        strings = have.string if have is not None else None
        done = all(strings) if isinstance(strings, tuple) else bool(strings)
        if have is None or not done or have.fuzzy:
            missing.append(msg.id if isinstance(msg.id, str) else msg.id[0])
    return missing


def main(argv: list[str] | None = None) -> int:
    """Command line of this module."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report missing translations")
    args = parser.parse_args(argv)
    if args.check:
        bad = {lang: missing_translations(lang) for lang in LANGUAGES if lang != "en"}
        for lang, msgs in bad.items():
            for m in msgs:
                print(f"{lang}: untranslated: {m!r}")
        return 1 if any(bad.values()) else 0
    for lang, n in update_catalogues().items():
        print(f"{lang}: {po_path(lang)} updated, {n} untranslated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
