"""Community size adjustment (社区规模调整): split over-size communities along street blocks.

Cut communities into street blocks (:func:`street_blocks`, counts by :func:`block_counts`),
flag over-size ones (:func:`flag_communities`) and propose splits into contiguous, compact
parts within a household band (:func:`resize_communities`), solved by the zones engine
(:mod:`geo.zones`) with its LP bound. A :class:`ResizeResult` gives the before/after table,
the validation report, the parts and blocks as layers, and the communities layer with the
accepted proposals (:meth:`ResizeResult.accepted`). Parts can be edited by hand
(:func:`move_blocks`, :func:`rename_parts`), each edit naming the version it was based on.
"""

from __future__ import annotations

from geo.communities.blocks import COUNT_COLUMNS, apportion, block_counts, cut_blocks, street_blocks
from geo.communities.codes import CodeBook, part_name
from geo.communities.proposal import Proposal, move_blocks, rename_parts, restore_proposal
from geo.communities.resize import (
    community_blocks,
    flag_communities,
    parts_for,
    resize_communities,
)
from geo.communities.result import ResizeResult

__all__ = [
    "COUNT_COLUMNS",
    "CodeBook",
    "Proposal",
    "ResizeResult",
    "apportion",
    "block_counts",
    "community_blocks",
    "cut_blocks",
    "flag_communities",
    "move_blocks",
    "part_name",
    "parts_for",
    "rename_parts",
    "resize_communities",
    "restore_proposal",
    "street_blocks",
]
