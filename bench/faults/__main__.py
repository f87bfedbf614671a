"""`python -m bench.faults`: run the fault scenarios, one JSON line each; exit 1 if any failed."""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from bench.common import emit_json, say
from bench.faults.harness import cluster
from bench.faults.scenarios import SCENARIOS
from bench.faults.world import CI, FULL


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.faults", description=__doc__)
    parser.add_argument(
        "scenarios", nargs="*", help=f"which to run (default: all): {', '.join(SCENARIOS)}"
    )
    parser.add_argument(
        "--scale", choices=("ci", "full"), default="full", help="ci: the bounded size CI runs"
    )
    arguments = parser.parse_args()
    unknown = [name for name in arguments.scenarios if name not in SCENARIOS]
    if unknown:
        parser.error(f"no scenario named {', '.join(unknown)}; choose among {', '.join(SCENARIOS)}")
    return arguments


async def run(names: list[str], scale_name: str) -> list[dict[str, Any]]:
    scale = CI if scale_name == "ci" else FULL
    lines = []
    with tempfile.TemporaryDirectory(prefix="maillage-faults-") as folder:
        workdir = Path(folder)
        async with cluster(workdir / "cluster") as database, aiohttp.ClientSession() as session:
            for name in names:
                say(f"scenario {name} ({scale_name})")
                started = time.monotonic()
                try:
                    line = await SCENARIOS[name](workdir / name, database, session, scale)
                except Exception as error:  # reported as the scenario's line
                    line = {"scenario": name, "ok": False, "error": repr(error)}
                line["wall_seconds"] = round(time.monotonic() - started, 1)
                emit_json(line)
                lines.append(line)
    return lines


def main() -> int:
    arguments = parse_arguments()
    names = arguments.scenarios or list(SCENARIOS)
    lines = asyncio.run(run(names, arguments.scale))
    return 0 if all(line["ok"] for line in lines) else 1


if __name__ == "__main__":
    raise SystemExit(main())
