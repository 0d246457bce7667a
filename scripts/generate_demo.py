#!/usr/bin/env python
"""Generate the seeded demo data set (thin wrapper around :func:`linker.demo.generate_demo`).

Writes the data, its ground truth (``OUT_DIR/truth``) and the profile's ``linker.toml`` (and
``linker-careless.toml`` where the profile has one) beside the data, so that ``linker run -c OUT_DIR/linker.toml``
runs on it.

Example: ``python scripts/generate_demo.py /tmp/demo --customers 1000000 --accounts 3000000 --events 20000000
--format parquet --profile hostile``
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date
from pathlib import Path

from linker.demo import DemoSpec, generate_demo
from linker.demo.configs import write_configs
from linker.demo.profiles import PROFILES


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, generate, print the summary; returns the exit code."""
    d = DemoSpec()
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out_dir", type=Path, help="directory to write (ground truth goes to OUT_DIR/truth)")
    p.add_argument("--customers", type=int, default=d.customers)
    p.add_argument("--accounts", type=int, default=d.accounts)
    p.add_argument("--events", type=int, default=d.events, help="purchases + browsing events")
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--no-traps", dest="traps", action="store_false", help="plant no traps and no bad rows")
    p.add_argument("--format", dest="file_format", choices=("csv", "parquet"), default=d.file_format)
    p.add_argument("--encoding", default=d.encoding, help="CSV encoding, e.g. gb18030 (default: the profile's)")
    p.add_argument("--start", type=date.fromisoformat, default=d.start)
    p.add_argument("--as-of", dest="as_of", type=date.fromisoformat, default=d.as_of)
    p.add_argument("--profile", choices=list(PROFILES), default=d.profile,
                   help="conventions of the data (see linker.demo.profiles and the README's demo section)")
    p.add_argument("--quiet", action="store_true", help="print nothing")
    args = vars(p.parse_args(argv))
    out_dir, quiet = args.pop("out_dir"), args.pop("quiet")
    try:
        spec = DemoSpec(**args)
    except ValueError as e:
        print(e, file=sys.stderr)
        return 2
    started = time.perf_counter()
    files = generate_demo(out_dir, spec)
    write_configs(out_dir, spec.conventions, "", spec.file_format, spec.text_encoding)
    if not quiet:
        summary = json.loads(files.summary.read_text(encoding="utf-8"))
        summary["seconds"] = round(time.perf_counter() - started, 1)
        print(json.dumps(summary, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
