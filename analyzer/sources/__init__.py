"""Logical sources: the named facts rules query, mapped to where a bundle keeps them.

Rules never name paths. They read ``nodes``, ``apiservers``, ``objects."longhorn.io/volumes"``
and so on. Each source is a function registered by name (``@source``) in cluster.py or
workloads.py; core.py builds them on demand, once, and remembers where every record came
from so evidence can cite file and line.
"""

from analyzer.sources import cluster, workloads  # noqa: F401 - registers the builders
from analyzer.sources.core import (
    KIND_KEY,
    LOG_SOURCES,
    SOURCES,
    SourceBroken,
    SourceMissing,
    Sources,
)

__all__ = ["KIND_KEY", "LOG_SOURCES", "SOURCES", "SourceBroken", "SourceMissing", "Sources"]
