"""`maillage trust ...`: the trust lists the place follows, and the one it publishes.

The same group is also `maillage moderation trust ...`, beside the other moderation commands.
"""

from __future__ import annotations

from pathlib import Path

import click

from clients import trust_api
from clients.cli import json_option, show, with_client
from clients.cli_moderation import moderation
from schemas.trust_lists import PublishedListOut

SUBSCRIPTION_COLUMNS = {
    "url": "url",
    "mode": "mode",
    "version": "version",
    "held": "entries",
    "pending": "pending",
    "error": "last_error",
}
PROPOSAL_COLUMNS = {
    "id": "id",
    "list": "list_url",
    "domain": "domain",
    "change": "change",
    "severity": "severity",
    "public reason": "public_reason",
}
ENTRY_COLUMNS = {"domain": "domain", "policy": "policy", "public reason": "public_reason"}


@click.group()
def trust() -> None:
    """Trust lists: follow a network's list (apply or review it), or publish this place's."""


@trust.command()
@click.argument("url")
@click.option(
    "--apply",
    "mode",
    type=click.Choice(["auto", "review"]),
    default="auto",
    show_default=True,
    help="auto: apply the list's changes; review: propose them for accept/refuse",
)
def subscribe(url: str, mode: str) -> None:
    """Follow the trust list at URL (fetched and its proof checked first)."""
    found = with_client(lambda client: trust_api.subscribe(client, url, mode))
    click.echo(f"Subscribed to {found.url} (version {found.version}, {found.mode}).")
    if found.pending:
        click.echo(f"{found.pending} change(s) to review: maillage trust proposals")


@trust.command()
@click.argument("url")
def unsubscribe(url: str) -> None:
    """Stop following a list; what came only from it is lifted."""
    left = with_client(lambda client: trust_api.unsubscribe(client, url))
    lifted = ", ".join(left.lifted) or "nothing"
    click.echo(f"Unsubscribed from {left.url}; lifted: {lifted}.")


@trust.command(name="list")
@json_option
def list_subscriptions(as_json: bool) -> None:
    """The lists the place follows."""
    found = with_client(trust_api.subscriptions)
    show(found, SUBSCRIPTION_COLUMNS, as_json, "No trust list followed.")


@trust.command()
@click.option("--state", type=click.Choice(["pending", "accepted", "refused"]), default="pending")
@json_option
def proposals(state: str, as_json: bool) -> None:
    """Changes proposed by the lists followed in review mode."""
    found = with_client(lambda client: trust_api.proposals(client, state))
    show(found, PROPOSAL_COLUMNS, as_json, "No proposal.")


@trust.command()
@click.argument("proposal_id", type=int)
def accept(proposal_id: int) -> None:
    """Accept a proposed change (applied as coming from its list)."""
    done = with_client(lambda client: trust_api.decide(client, proposal_id, True))
    click.echo(f"Accepted: {done.domain} {done.change} {done.severity or ''}".rstrip() + ".")


@trust.command()
@click.argument("proposal_id", type=int)
def refuse(proposal_id: int) -> None:
    """Refuse a proposed change (it is not proposed again)."""
    done = with_client(lambda client: trust_api.decide(client, proposal_id, False))
    click.echo(f"Refused: {done.domain} {done.change}.")


def show_published(found: PublishedListOut, as_json: bool) -> None:
    if as_json:
        click.echo(found.model_dump_json())
        return
    state = "published" if found.published else "not published"
    click.echo(f"{found.url} ({state}, version {found.version}, {found.subscribers} subscriber(s))")
    show(found.entries, ENTRY_COLUMNS, False, "No entry.")


@trust.group(invoke_without_command=True)
@json_option
@click.pass_context
def publish(context: click.Context, as_json: bool) -> None:
    """The list this place publishes (shown without a subcommand)."""
    if context.invoked_subcommand is None:
        show_published(with_client(trust_api.published), as_json)


@publish.command(name="add")
@click.argument("domain")
@click.option("--policy", type=click.Choice(["member", "suspend", "limit"]), required=True)
@click.option("--reason", default="", help="Public reason, published with the list")
@json_option
def publish_add(domain: str, policy: str, reason: str, as_json: bool) -> None:
    """Add or change DOMAIN in the published list."""
    found = with_client(lambda client: trust_api.put_entry(client, domain, policy, reason))
    show_published(found, as_json)


@publish.command(name="remove")
@click.argument("domain")
@json_option
def publish_remove(domain: str, as_json: bool) -> None:
    """Remove DOMAIN from the published list."""
    show_published(with_client(lambda client: trust_api.remove_entry(client, domain)), as_json)


@publish.command(name="import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def publish_import(file: Path) -> None:
    """Put the blocks of a Mastodon domain-block CSV FILE in the published list."""
    text = file.read_text(encoding="utf-8")
    done = with_client(lambda client: trust_api.import_csv(client, text))
    click.echo(f"Added or changed: {', '.join(done.applied) or 'nothing'}.")
    for what, why in done.skipped.items():
        click.echo(f"Skipped {what}: {why}")


@publish.command(name="on")
@click.option("--name", default="", help="The list's name, e.g. the network's")
@click.option("--summary", default="")
def publish_on(name: str, summary: str) -> None:
    """Serve the list (at /trust-list) and send its changes to subscribers."""
    found = with_client(
        lambda client: trust_api.configure(client, published=True, name=name, summary=summary)
    )
    click.echo(f"The list is published at {found.url} (version {found.version}).")


@publish.command(name="off")
def publish_off() -> None:
    """Stop serving the list."""
    with_client(lambda client: trust_api.configure(client, published=False, name="", summary=""))
    click.echo("The list is no longer published.")


moderation.add_command(trust)
TRUST_COMMANDS: tuple[click.Command, ...] = (trust,)
