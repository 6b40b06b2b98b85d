"""Fleet analysis: an archive of bundles analyzed on Dask, kept as Parquet, summarised.

    archive.py   finding the bundles of an archive and what identifies each (sha256)
    task.py      what a Dask worker runs for one bundle (the analyze library, warm)
    run.py       the Dask side: submit, watch timeouts and dead workers, resume
    store.py     the two Parquet tables (bundles, findings) and their columns
    summary.py   prevalence, co-occurrence, failures: the fleet report's numbers
    render.py    the fleet report as Markdown and self-contained HTML (inline SVG charts)
    backtest.py  a changed rule pack against an archive already analyzed

Dask, distributed and pyarrow are the optional extra ``fleet``; ``require()`` says how to get
them in one line instead of an ImportError.
"""

from __future__ import annotations

import importlib.util

from analyzer.errors import AnalyzerError

EXTRA_MODULES = ("dask", "distributed", "pyarrow")


def require() -> None:
    """AnalyzerError naming the install command when the ``fleet`` extra is missing."""
    missing = [name for name in EXTRA_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        raise AnalyzerError(
            f"fleet needs {', '.join(missing)}: pip install 'bundle-analyzer[fleet]'"
        )
