"""Shared pytest fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

# --- the embedded demo store (layers.demo), built once per test session ----------------


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Path of a demo GeoPackage built once per session from ``data/raw`` (seed 2023).

    Read it freely; copy it before writing to it (other tests share it)."""
    from layers.demo import DEFAULT_RAW_DIR, build_demo

    out = tmp_path_factory.mktemp("demo") / "demo.gpkg"
    build_demo(DEFAULT_RAW_DIR, out, seed=2023)
    return out
