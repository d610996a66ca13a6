"""Build the embedded demo store ``data/demo.gpkg`` from ``data/raw`` (same as ``mzgis demo``).

Usage: ``python data/build_demo.py [--seed N] [--out PATH]``
"""

from __future__ import annotations

import argparse
from pathlib import Path

from layers.demo import DEFAULT_RAW_DIR, DEFAULT_STORE, build_demo


def main() -> None:
    """Parse the options and build the demo, printing one line per layer."""
    parser = argparse.ArgumentParser(
        description="Build the Beijing demo store / 生成北京东城区、西城区示例数据"
    )
    parser.add_argument("--seed", type=int, default=2023, help="seed / 随机种子")
    parser.add_argument("--out", type=Path, default=DEFAULT_STORE, help="output .gpkg / 输出文件")
    parser.add_argument("--raw", type=Path, default=DEFAULT_RAW_DIR, help="raw data / 原始数据")
    args = parser.parse_args()
    build_demo(args.raw, args.out, seed=args.seed, progress=print)


if __name__ == "__main__":
    main()
