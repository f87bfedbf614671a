"""`maillage moderation ...`: the group every moderation command hangs on.

This module holds the group, the domain policy commands and the log; reports and trust lists
add their own subcommands from their modules (`clients/cli_reports.py`, `clients/cli_trust.py`)
with `@moderation.command(...)` or `moderation.add_command(...)`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from clients import moderation as calls
from clients.cli import Column, fail, json_option, show, with_client
from clients.display import local_time
from schemas.api_moderation import DomainPolicyIn


@click.group()
def moderation() -> None:
    """Moderation: domain policies, the moderation log (administrators)."""


@moderation.group()
def domains() -> None:
    """What the place decided about other domains: suspend, limit, allow."""


@domains.command("list")
@json_option
def list_domains(as_json: bool) -> None:
    """Every domain policy: the place's own (source '') and the trust lists'."""
    found = with_client(calls.domain_policies)
    columns: dict[str, Column] = {
        "domain": "domain",
        "severity": "severity",
        "effective": "effective",
        "source": lambda p: p.source or "local",
        "public reason": "public_reason",
        "private reason": "private_reason",
    }
    show(found, columns, as_json, "No domain policies.")


reason_options = [
    click.option("--reason", "public_reason", default="", help="Public reason."),
    click.option("--private-reason", default="", help="Reason only administrators see."),
]


def with_reasons(command: click.decorators.FC) -> click.decorators.FC:
    for option in reversed(reason_options):
        command = option(command)
    return command


def set_policy(domain: str, severity: str, public_reason: str, private_reason: str) -> None:
    policy = DomainPolicyIn.model_validate(
        {"severity": severity, "public_reason": public_reason, "private_reason": private_reason}
    )
    done = with_client(lambda client: calls.set_domain_policy(client, domain, policy))
    click.echo(f"{done.domain}: {done.severity} (effective: {done.effective})")


@domains.command("suspend")
@click.argument("domain")
@with_reasons
def suspend(domain: str, public_reason: str, private_reason: str) -> None:
    """Refuse everything from DOMAIN and its subdomains, and purge what the node holds of it."""
    set_policy(domain, "suspend", public_reason, private_reason)


@domains.command("limit")
@click.argument("domain")
@with_reasons
def limit(domain: str, public_reason: str, private_reason: str) -> None:
    """Keep DOMAIN off the agenda, directory, people search and wall unless followed."""
    set_policy(domain, "limit", public_reason, private_reason)


@domains.command("allow")
@click.argument("domain")
@with_reasons
def allow(domain: str, public_reason: str, private_reason: str) -> None:
    """List DOMAIN as federated with in limited federation mode (and over any trust list)."""
    set_policy(domain, "allow", public_reason, private_reason)


@domains.command("remove")
@click.argument("domain")
def remove(domain: str) -> None:
    """Remove the place's own policy for DOMAIN (what a suspension purged stays gone)."""
    with_client(lambda client: calls.remove_domain_policy(client, domain))
    click.echo(f"{domain}: policy removed")


@domains.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
def import_csv(file: str) -> None:
    """Apply Mastodon's domain-block CSV (FILE, or - for standard input)."""
    try:
        text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        fail(error)
        return
    result = with_client(lambda client: calls.import_domain_blocks(client, text))
    click.echo(f"applied: {len(result.applied)}")
    for where, why in result.skipped.items():
        click.echo(f"skipped {where}: {why}")


@domains.command("export")
def export_csv() -> None:
    """Print the place's suspensions and limits as Mastodon's domain-block CSV."""
    click.echo(with_client(calls.export_domain_blocks), nl=False)


@moderation.command("log")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 500))
@click.option("--before", type=click.IntRange(1), help="Entries older than this id.")
@json_option
def log(limit: int, before: int | None, as_json: bool) -> None:
    """The moderation log, newest first: who did what to what, when and why."""
    found = with_client(lambda client: calls.moderation_log(client, limit, before))
    columns: dict[str, Column] = {
        "id": "id",
        "at": lambda e: local_time(e.at, None),
        "who": "who",
        "action": "action",
        "target": "target",
        "reason": "reason",
    }
    show(found, columns, as_json, "The moderation log is empty.")


MODERATION_COMMANDS: tuple[click.Command, ...] = (moderation,)
