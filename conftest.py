"""Suite-wide pytest configuration (applies to ``tests/`` and the doctests in ``saigapop/``).

pandas sizes its printed tables from the terminal (``COLUMNS``); the doctests print tables, so
the display is fixed here and the suite reads the same in any terminal, pipe or CI log.
"""

import pandas as pd


def pytest_configure(config):
    """Fix pandas' printed width so doctest output does not depend on ``COLUMNS``."""
    pd.set_option("display.width", 100)
    pd.set_option("display.max_columns", 20)
