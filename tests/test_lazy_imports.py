"""What a node does not load until it needs it (README, "Benchmarks": the node's idle memory).

A node that has answered only the API, the discovery documents and its inbox has not loaded the
page templates' libraries, the metrics library (no metrics_token) or the HTML sanitiser, and
structlog has not picked up rich or greenlet, which a development environment has installed. The
node runs in a process of its own, since this one has imported all of them already.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import asyncpg
import click

from maillage.cli import COMMAND_MODULES, LAZY_COMMANDS, exported_commands, main
from server.node_setup import create_node_records, new_key_pairs, validate_setup
from server.passwords import hash_password
from tests.support import REPO_ROOT, free_port

# Loaded on first use only: each with what loads it.
LAZY = {
    "jinja2": "the first page",
    "babel": "the first page",
    "prometheus_client": "a metrics_token",
    "nh3": "the first HTML cleaned",
    "rich": "never, by the node",
    "greenlet": "never, by the node",
    "pydantic_settings": "never: server/config.py reads the settings itself",
}

NODE = """
import asyncio, json, sys
from pathlib import Path

import aiohttp
from aiohttp import web

from server.config import load_settings
from server.runner import app_runner, bind_listening_socket

from server.storage.local_actors import PLACE

WATCHED = json.loads(sys.argv[4])
# An unsigned delivery: refused for its missing signature, so its HTML is never cleaned.
NOTE = json.dumps({
    "@context": "https://www.w3.org/ns/activitystreams", "type": "Create",
    "id": "https://elsewhere.example/activities/1", "actor": "https://elsewhere.example/actor",
    "object": {"type": "Note", "id": "https://elsewhere.example/notes/1",
               "content": "<p>Bonjour <script>x</script></p>"},
}).encode()


def loaded():
    return sorted(name for name in WATCHED if name in sys.modules)


async def main(dsn, port, data_dir):
    settings = load_settings(
        Path(data_dir), domain=f"localhost:{port}", place_name="Lazy", database_url=dsn,
        development=True,
    )
    runner = app_runner(settings, shutdown_timeout=1)
    await runner.setup()
    await web.SockSite(runner, bind_listening_socket("127.0.0.1", port)).start()
    base = f"http://127.0.0.1:{port}"
    statuses = {}
    try:
        async with aiohttp.ClientSession() as session:
            for method, path, headers in (
                ("GET", "/api/v1/agenda?q=atelier", {}),
                ("GET", "/.well-known/nodeinfo", {}),
                ("GET", f"/actors/{PLACE}", {"Accept": "application/activity+json"}),
                ("POST", "/inbox", {"Content-Type": "application/activity+json"}),
            ):
                async with session.request(method, base + path, headers=headers, data=NOTE) as r:
                    statuses[path] = r.status
            before = loaded()
            async with session.get(base + "/", headers={"Accept": "text/html"}) as r:
                statuses["/"] = r.status
            after = loaded()
    finally:
        await runner.cleanup()
    print(json.dumps({"statuses": statuses, "before_page": before, "after_page": after}))


asyncio.run(main(sys.argv[1], int(sys.argv[2]), sys.argv[3]))
"""


async def test_a_node_loads_page_metrics_and_sanitiser_libraries_only_when_needed(
    database_url: str, node_dir: Path
) -> None:
    port = free_port()
    connection = await asyncpg.connect(database_url)
    try:
        setup = validate_setup(f"localhost:{port}", "Lazy", "admin", "a@example.org", "x" * 16)
        await create_node_records(
            connection, setup, hash_password(setup.admin_password), new_key_pairs(), force=False
        )
    finally:
        await connection.close()
    arguments = [database_url, str(port), str(node_dir), json.dumps(list(LAZY))]
    finished = subprocess.run(
        [sys.executable, "-c", NODE, *arguments],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO_ROOT,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    seen = json.loads(finished.stdout.strip().splitlines()[-1])
    # The requests were answered (an unsigned inbox POST is refused before anything is parsed).
    assert seen["statuses"]["/api/v1/agenda?q=atelier"] == 200, seen
    assert seen["statuses"]["/.well-known/nodeinfo"] == 200, seen
    assert seen["statuses"]["/actors/place"] == 200, seen
    assert seen["statuses"]["/inbox"] == 401, seen
    assert seen["statuses"]["/"] == 200, seen
    assert seen["before_page"] == [], {name: LAZY[name] for name in seen["before_page"]}
    # The first page loads what pages need, and only that.
    assert seen["after_page"] == ["babel", "jinja2"], seen


# Not imported by `maillage serve`: each with the commands that import it.
NOT_FOR_SERVE = {
    "clients": "the member commands",
    "maillage.demo": "`maillage demo`",
    "server.cli_backup": "`maillage backup` and `restore`",
    "server.backup": "`maillage backup` and `restore`",
}

SERVE = """
import json, sys

from maillage.cli import main

try:
    main(["serve", "--help"])
except SystemExit:
    pass
print(json.dumps(sorted(name for name in json.loads(sys.argv[1]) if name in sys.modules)))
"""


def test_serve_does_not_import_the_member_commands_the_demo_or_backups() -> None:
    finished = subprocess.run(
        [sys.executable, "-c", SERVE, json.dumps(list(NOT_FOR_SERVE))],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO_ROOT,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    assert "Run the node's web server" in finished.stdout
    loaded = json.loads(finished.stdout.strip().splitlines()[-1])
    assert loaded == [], {name: NOT_FOR_SERVE[name] for name in loaded}


def test_the_lazy_command_table_names_every_command_where_it_lives() -> None:
    for part in COMMAND_MODULES:
        names = {name for name, its_part in LAZY_COMMANDS.items() if its_part == part}
        assert set(exported_commands(part)) == names, part
    listed = main.list_commands(click.Context(main))
    assert listed == sorted(LAZY_COMMANDS)
    assert all(main.get_command(click.Context(main), name) is not None for name in listed)
