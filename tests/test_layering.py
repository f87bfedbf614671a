"""What import-linter cannot express: `federation` and `schemas` never import aiohttp's server;
the services wire every reaction to facts about remote actors."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import REPO_ROOT

SERVER_MODULES = ("aiohttp.web", "aiohttp.web_")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


@pytest.mark.parametrize("package", ["federation", "schemas"])
def test_package_does_not_import_the_web_server(package: str) -> None:
    offenders = {
        f"{path.relative_to(REPO_ROOT)}: {module}"
        for path in (REPO_ROOT / package).rglob("*.py")
        for module in imported_modules(path)
        if module.startswith(SERVER_MODULES)
    }
    assert not offenders, f"{package} imports aiohttp's server: {sorted(offenders)}"


def test_the_check_sees_a_server_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("from aiohttp import web\n", encoding="utf-8")
    assert "aiohttp.web" in imported_modules(sample)


def test_the_services_wire_every_reaction_to_actor_facts() -> None:
    """The actor directory announces facts; the services import the modules that react. Checked
    in a fresh interpreter: in this one, the test harness has imported every module already."""
    probe = (
        "import json, server.services\n"
        "from server.processing import actor_lifecycle\n"
        "print(json.dumps(actor_lifecycle.reactions()))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    assert json.loads(done.stdout) == {
        "actor gone": ["server.processing.follow_requests.actor_gone"],
        "actor fetched": ["server.processing.directory.remember_place"],
    }
