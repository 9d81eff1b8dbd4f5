"""Sphinx configuration for the saigapop documentation.

Build with ``sphinx-build -W -b html docs docs/_build/html`` (``make docs``): warnings are
errors, so a broken reference or a malformed docstring fails the build.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import saigapop  # noqa: E402

project = "saigapop"
author = "saigapop developers"
copyright = "2025–2026, saigapop developers"
release = saigapop.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "myst_parser",
    "numpydoc",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
]

source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
root_doc = "index"
templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "**/.ipynb_checkpoints"]

# --- MyST: Markdown pages, $…$ and $$…$$ maths, ::: fences ------------------------------------
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist", "fieldlist"]
myst_heading_anchors = 3

# --- API reference: autosummary stubs from numpydoc docstrings -------------------------------
autosummary_generate = True
autosummary_ignore_module_all = False  # document what each module lists in __all__
autodoc_typehints = "none"  # numpydoc sections carry the types
autodoc_default_options = {"member-order": "bysource"}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
numpydoc_attributes_as_param_list = True

# --- HTML ---------------------------------------------------------------------------------------
html_theme = "alabaster"
html_title = f"saigapop {release}"
html_static_path = ["_static"]
html_theme_options = {
    "description": "Saiga population models and CITES non-detriment findings",
    "fixed_sidebar": True,
    "page_width": "1100px",
    "sidebar_width": "240px",
}

# --- Robust table of contents -------------------------------------------------------------------
# Pages in reading order. Pages written by other issues may not exist yet: the toctree in
# index.md lists the pages that exist, in this order, then any other top-level page, so the
# build never references a missing page and never leaves a page out of the toctree.
DOCS = Path(__file__).resolve().parent
PAGE_ORDER = [
    "user_guide",
    "annual_cycle",
    "model",
    "management",
    "registry",
    "data_sheet",
    "api",
]
_PLACEHOLDER = "%%PAGES%%"


def _pages() -> list[str]:
    found = {
        p.stem
        for p in DOCS.iterdir()
        if p.suffix in (".md", ".rst") and p.stem != "index" and not p.name.startswith("_")
    }
    ordered = [p for p in PAGE_ORDER if p in found]
    return ordered + sorted(found - set(ordered))


def _fill_toctree(app, docname, source):
    if docname == "index":
        source[0] = source[0].replace(_PLACEHOLDER, "\n".join(_pages()))


def _index_outdated(app, env, added, changed, removed):
    # a page added or removed changes the toctree of index.md although its source did not
    return ["index"] if added or removed else []


def setup(app):
    app.connect("source-read", _fill_toctree)
    app.connect("env-get-outdated", _index_outdated)
