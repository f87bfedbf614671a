"""The member commands, run as real processes against real nodes through the REST API."""

from __future__ import annotations

import json
from pathlib import Path

from tests.network import LoopbackNetwork
from tests.support import run_maillage_async, wait_until
from tests.test_federation_network import accepted


async def test_log_in_follow_and_list_neighbours(network: LoopbackNetwork, tmp_path: Path) -> None:
    mende = await network.add("mende")
    florac = await network.add("florac")
    await network.start_all()
    env = {"MAILLAGE_CONFIG_DIR": str(tmp_path / "config"), "MAILLAGE_PASSWORD": "x" * 12}
    url = f"http://127.0.0.1:{mende.port}"

    login = await run_maillage_async("login", "--node", url, "--username", "admin", env=env)
    assert login.returncode == 0, login.stderr
    session_file = tmp_path / "config" / "session.json"
    assert session_file.stat().st_mode & 0o777 == 0o600

    whoami = await run_maillage_async("whoami", "--json", env=env)
    assert json.loads(whoami.stdout)[0]["role"] == "administrator"

    followed = await run_maillage_async("follow", florac.handle.removeprefix("acct:"), env=env)
    assert followed.returncode == 0, followed.stderr
    await wait_until(lambda: accepted(mende, mende.place, florac.place), what="the Accept")

    listed = await run_maillage_async("neighbours", env=env)
    assert listed.returncode == 0
    header, row = listed.stdout.splitlines()
    assert header.split() == ["ACTOR", "HANDLE", "NAME", "WE", "FOLLOW", "FOLLOWS", "US"]
    assert florac.place in row
    assert "accepted" in row
    as_json = json.loads((await run_maillage_async("neighbours", "--json", env=env)).stdout)
    assert as_json[0]["we_follow"] == "accepted"

    created = await run_maillage_async(
        "accounts", "create", "lea", "--email", "lea@example.org",
        env={**env, "MAILLAGE_NEW_PASSWORD": "lea-password-1"},
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    assert await mende.fetchval("SELECT role FROM accounts WHERE username = 'lea'") == "member"


async def test_errors_are_one_line_and_change_nothing(
    network: LoopbackNetwork, tmp_path: Path
) -> None:
    mende = await network.add("mende")
    await network.start_all()
    env = {"MAILLAGE_CONFIG_DIR": str(tmp_path / "config"), "MAILLAGE_PASSWORD": "wrong"}
    url = f"http://127.0.0.1:{mende.port}"

    not_logged_in = await run_maillage_async("neighbours", env=env)
    assert not_logged_in.returncode == 1
    assert not_logged_in.stderr.startswith("error: not logged in: run `maillage login")

    refused = await run_maillage_async("login", "--node", url, "--username", "admin", env=env)
    assert refused.returncode == 1
    assert refused.stderr.strip() == "error: 401 invalid username or password"
    assert not (tmp_path / "config" / "session.json").exists()

    env["MAILLAGE_PASSWORD"] = "x" * 12
    await run_maillage_async("login", "--node", url, "--username", "admin", env=env)
    bad = await run_maillage_async("follow", "nobody", env=env)
    assert bad.returncode == 1
    assert bad.stderr.startswith("error: 422 ")
    assert "Traceback" not in bad.stderr
    assert await mende.fetchval("SELECT count(*) FROM follows") == 0

    unreachable = await run_maillage_async(
        "login", "--node", "http://127.0.0.1:9", "--username", "admin", env=env
    )
    assert unreachable.returncode == 1
    assert unreachable.stderr.startswith("error: cannot reach http://127.0.0.1:9")


async def test_publish_events_calls_and_profiles_from_the_command_line(
    network: LoopbackNetwork, tmp_path: Path
) -> None:
    mende = await network.add("mende")
    florac = await network.add("florac")
    await network.start_all()
    mende_env = {"MAILLAGE_CONFIG_DIR": str(tmp_path / "m"), "MAILLAGE_PASSWORD": "x" * 12}
    florac_env = {"MAILLAGE_CONFIG_DIR": str(tmp_path / "f"), "MAILLAGE_PASSWORD": "x" * 12}
    for node, env in ((mende, mende_env), (florac, florac_env)):
        login = await run_maillage_async(
            "login", "--node", f"http://127.0.0.1:{node.port}", "--username", "admin", env=env
        )
        assert login.returncode == 0, login.stderr

    created = await run_maillage_async(
        "events", "create", "--name", "Atelier vélo", "--start", "2027-05-02 14:00",
        "--end", "2027-05-02 17:00", "--place", "Garage solidaire", "--latitude", "44.52",
        "--longitude", "3.5", "--tag", "velo", "--capacity", "8", "--json", env=mende_env,
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    event = json.loads(created.stdout)[0]
    assert (event["name"], event["remaining_attendee_capacity"]) == ("Atelier vélo", 8)
    listed = await run_maillage_async("events", "list", env=mende_env)
    assert "Atelier vélo" in listed.stdout
    bad = await run_maillage_async(
        "events", "create", "--name", "x", "--start", "2027-05-02 14:00",
        "--timezone", "Mars/Olympus", env=mende_env,
    )  # fmt: skip
    assert bad.returncode == 1
    assert bad.stderr == "error: invalid input: timezone: unknown IANA time zone 'Mars/Olympus'\n"

    profile = await run_maillage_async(
        "profile", "edit", "--name", "Camille", "--skill", "soudure",
        "--link", "site=https://camille.example", env=florac_env,
    )  # fmt: skip
    assert profile.returncode == 0, profile.stderr
    shared = await run_maillage_async("profile", "visibility", "network", env=florac_env)
    assert shared.stdout.strip() == "Profile visibility: network."
    joined = await run_maillage_async("rsvp", event["ap_id"], env=florac_env)
    assert joined.returncode == 0, joined.stderr

    async def seat_taken() -> bool:
        count = await mende.fetchval(
            "SELECT participant_count FROM events WHERE ap_id = $1", event["ap_id"]
        )
        return count == 1

    await wait_until(seat_taken, what="florac's admin to get a seat on mende")

    call = await run_maillage_async(
        "calls", "create", "--kind", "volunteers", "--title", "Bénévoles pour la fête",
        "--deadline", "2099-01-01 12:00", "--skill", "accueil", "--json", env=mende_env,
    )  # fmt: skip
    assert call.returncode == 0, call.stderr
    call_id = json.loads(call.stdout)[0]["id"]
    closed = await run_maillage_async("calls", "close", call_id, "--filled", env=mende_env)
    assert closed.stdout.strip() == "Bénévoles pour la fête: filled"
