"""Errors raised by :mod:`geo`.

The hierarchy::

    AnalysisError                  an analysis cannot run on these inputs (HTTP 422)
    ├── CRSMismatchError           frames in different CRSs, or a geographic CRS where
    │                              metres are needed
    ├── EmptyInputError            no demand, no facilities, no candidates
    ├── NetworkError               the walking network cannot be built, loaded or used
    ├── InfeasibleError            an optimisation problem has no solution (says why)
    └── SchedulerError             the Dask scheduler named for a partitioned run cannot
                                   be reached or is not understood

Messages are bilingual: English first, Chinese after " / ".
"""

from __future__ import annotations

__all__ = [
    "AnalysisError",
    "CRSMismatchError",
    "EmptyInputError",
    "InfeasibleError",
    "NetworkError",
    "SchedulerError",
]


class AnalysisError(ValueError):
    """An analysis cannot run on these inputs."""


class CRSMismatchError(AnalysisError):
    """Frames in different CRSs, or lon/lat where metres are needed."""


class EmptyInputError(AnalysisError):
    """A required input has no rows."""


class NetworkError(AnalysisError):
    """The walking network cannot be built, loaded or used."""


class InfeasibleError(AnalysisError):
    """An optimisation problem has no feasible solution."""


class SchedulerError(AnalysisError):
    """The Dask scheduler of a partitioned run cannot be reached or is not understood."""
