"""The command line as an animateur uses it: times in the place's (or event's) zone, edits that
keep what they do not mention, one kind of id, the place's profile, errors said once."""

from __future__ import annotations

import json
from pathlib import Path

from tests.network import LoopbackNetwork, NetworkNode
from tests.support import run_maillage_async


async def logged_in(node: NetworkNode, tmp_path: Path) -> dict[str, str]:
    env = {"MAILLAGE_CONFIG_DIR": str(tmp_path / node.name), "MAILLAGE_PASSWORD": "x" * 12}
    login = await run_maillage_async(
        "login", "--node", f"http://127.0.0.1:{node.port}", "--username", "admin", env=env
    )
    assert login.returncode == 0, login.stderr
    return env


async def test_times_are_read_and_shown_in_the_place_or_event_zone(
    network: LoopbackNetwork, tmp_path: Path
) -> None:
    mende = await network.add("mende")
    await network.start_all()
    env = await logged_in(mende, tmp_path)
    zoned = await run_maillage_async(
        "place", "edit", "--timezone", "America/Montreal", "--locality", "Mende", env=env
    )
    assert zoned.returncode == 0, zoned.stderr

    explicit = await run_maillage_async(
        "events", "create", "--name", "Atelier vélo", "--start", "2027-05-02 14:00",
        "--timezone", "Europe/Paris", "--category", "WORKSHOP", env=env,
    )  # fmt: skip
    assert explicit.returncode == 0, explicit.stderr
    assert "2027-05-02 14:00 Europe/Paris" in explicit.stdout
    assert "Workshop" in explicit.stdout
    assert "WORKSHOP" not in explicit.stdout
    assert "+00:00" not in explicit.stdout

    in_place_zone = await run_maillage_async(
        "events", "create", "--name", "Soirée", "--start", "2027-05-03 19:30", "--json", env=env
    )
    assert in_place_zone.returncode == 0, in_place_zone.stderr
    event = json.loads(in_place_zone.stdout)[0]
    assert event["timezone"] == "America/Montreal"
    assert event["start_time"].startswith("2027-05-03T23:30")  # 19:30 EDT is 23:30 UTC

    listed = await run_maillage_async("agenda", env=env)
    assert "2027-05-03 19:30 America/Montreal" in listed.stdout
    assert "UTC" not in listed.stdout

    past = await run_maillage_async(
        "events", "create", "--name", "Hier", "--start", "2020-01-01 10:00", env=env
    )
    assert past.returncode == 0, past.stderr
    assert past.stderr.startswith("warning: the start 2020-01-01 10:00 is in the past")

    call = await run_maillage_async(
        "calls", "create", "--kind", "volunteers", "--title", "Bénévoles",
        "--deadline", "2099-01-01 12:00", "--json", env=env,
    )  # fmt: skip
    assert call.returncode == 0, call.stderr
    made = json.loads(call.stdout)[0]
    assert made["deadline"].startswith("2099-01-01T17:00")  # noon in Montreal, winter
    calls_table = await run_maillage_async("calls", "list", env=env)
    assert "2099-01-01 12:00 America/Montreal" in calls_table.stdout

    closed = await run_maillage_async("calls", "close", str(made["number"]), "--filled", env=env)
    assert closed.returncode == 0, closed.stderr
    assert closed.stdout.strip() == "Bénévoles: filled"


async def test_edits_keep_what_they_do_not_mention(
    network: LoopbackNetwork, tmp_path: Path
) -> None:
    mende = await network.add("mende")
    await network.start_all()
    env = await logged_in(mende, tmp_path)

    first = await run_maillage_async(
        "profile", "edit", "--name", "Camille", "--skill", "soudure",
        "--link", "site=https://camille.example", env=env,
    )  # fmt: skip
    assert first.returncode == 0, first.stderr
    bio = await run_maillage_async("profile", "edit", "--bio", "Soudeuse à Mende", env=env)
    assert bio.returncode == 0, bio.stderr
    shown = json.loads((await run_maillage_async("profile", "show", "--json", env=env)).stdout)
    assert shown["name"] == "Camille"
    assert [skill["name"] for skill in shown["skills"]] == ["soudure"]
    assert [link["url"] for link in shown["links"]] == ["https://camille.example"]
    assert "Soudeuse" in shown["bio"]

    cleared = await run_maillage_async("profile", "edit", "--clear-links", env=env)
    assert cleared.returncode == 0, cleared.stderr
    shown = json.loads((await run_maillage_async("profile", "show", "--json", env=env)).stdout)
    assert shown["links"] == []
    assert shown["name"] == "Camille"

    placed = await run_maillage_async(
        "place", "edit", "--street", "2 rue de l'Ange", "--locality", "Mende",
        "--at", "44.5181,3.5006", "--hours", "mo-fr 09:00-18:00", "--service", "fibre",
        env=env,
    )  # fmt: skip
    assert placed.returncode == 0, placed.stderr
    closing = await run_maillage_async("place", "edit", "--closed", "2026-12-25", env=env)
    assert closing.returncode == 0, closing.stderr
    profile = json.loads((await run_maillage_async("place", "show", "--json", env=env)).stdout)
    assert profile["address"]["locality"] == "Mende"
    assert profile["address"]["street_address"] == "2 rue de l'Ange"
    assert (profile["latitude"], profile["longitude"]) == (44.5181, 3.5006)
    assert profile["opening_hours"][0]["days"][0] == "Monday"
    assert profile["services"] == ["fibre"]
    assert profile["opening_exceptions"][0]["starts"] == "2026-12-25"
    text = (await run_maillage_async("place", "show", env=env)).stdout
    assert "openstreetmap.org/?mlat=44.5181&mlon=3.5006" in text

    wrong = await run_maillage_async("place", "edit", "--hours", "lundi 9h", env=env)
    assert wrong.returncode == 1
    assert wrong.stderr.startswith("error: --hours 'lundi 9h'")


async def test_accounts_list_and_errors_said_once(network: LoopbackNetwork, tmp_path: Path) -> None:
    mende = await network.add("mende")
    await network.start_all()
    env = await logged_in(mende, tmp_path)
    listed = await run_maillage_async("accounts", "list", env=env)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines()[0].split() == ["ID", "USERNAME", "ROLE", "EMAIL"]
    assert "admin" in listed.stdout

    bad = await run_maillage_async("follow", "nobody", env=env)
    assert bad.returncode == 1
    message = bad.stderr.strip().removeprefix("error: 422 ")
    # No clause said twice ("not a usable actor (target: not a usable actor)").
    clauses = [part.strip(" ()") for part in message.replace("(", ";").split(";")]
    assert len(clauses) == len({clause.split(": ", 1)[-1] for clause in clauses}), bad.stderr
