"""`maillage report ...`, `maillage moderation reports ...` and `maillage moderation block ...`."""

from __future__ import annotations

import click

from clients import api_reports
from clients.cli import Column, json_option, show, with_client
from clients.cli_moderation import moderation
from schemas.api_reports import ReportOut

RESOLUTIONS = ("no_action", "limit", "suspend", "remove_content")


def reported_name(found: ReportOut) -> str:
    """Who is reported, as people name them: display name and handle, else the id."""
    if found.target_name and found.target_handle:
        return f"{found.target_name} ({found.target_handle})"
    return found.target_name or found.target_handle or found.target_actor


REPORT_COLUMNS: dict[str, Column] = {
    "id": "id",
    "received": lambda r: f"{r.received_at:%Y-%m-%d %H:%M}",
    "from": lambda r: r.origin or "here",
    "reporter": "reporter",
    "reported": reported_name,
    "objects": lambda r: len(r.objects),
    "state": lambda r: r.resolution or r.state,
}
BLOCK_COLUMNS: dict[str, Column] = {"actor": "actor", "since": "created_at", "reason": "reason"}


me_option = click.option("--me", "as_me", is_flag=True, help="As oneself rather than as the place.")


@click.command()
@click.argument("target")
@click.option("--comment", default="", help="What is wrong, for the moderators.")
@click.option(
    "--forward",
    is_flag=True,
    help="Send the report on to the reported actor's server too (without your name).",
)
def report(target: str, comment: str, forward: bool) -> None:
    """Report an actor, event, call or profile (by its URL) to the place's moderators."""
    filed = with_client(lambda client: api_reports.report(client, target, comment, forward=forward))
    sent = " and sent on to its server" if filed.forwarded else ""
    click.echo(f"Report {filed.id} filed{sent}.")


@moderation.group()
def reports() -> None:
    """The reports queue: list, show, resolve (administrators and animateurs)."""


@reports.command("list")
@click.option(
    "--state", type=click.Choice(["open", "resolved", "all"]), default="open", show_default=True
)
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 500))
@click.option("--before", type=click.IntRange(1), help="Reports older than this id (next page).")
@json_option
def list_reports(state: str, limit: int, before: int | None, as_json: bool) -> None:
    """The reports, newest first, a page at a time: --before the last id shown for the next."""
    found = with_client(lambda client: api_reports.reports(client, state, limit, before))
    show(found, REPORT_COLUMNS, as_json, "No report.")


def describe(found: ReportOut) -> str:
    lines = [
        f"Report {found.id}, received {found.received_at:%Y-%m-%d %H:%M %Z}",
        f"From: {found.origin or 'this node'} ({found.reporter})",
        f"Reported: {reported_name(found)}"
        + (f" <{found.target_actor}>" if reported_name(found) != found.target_actor else ""),
        *(
            f"  {found.object_titles[ref]} <{ref}>" if ref in found.object_titles else f"  {ref}"
            for ref in found.objects
        ),
        f"Comment: {found.comment or '-'}",
        f"Sent on to its server: {'yes' if found.forwarded else 'no'}",
        f"State: {found.state}",
    ]
    if found.resolution is not None:
        lines.append(
            f"Resolved: {found.resolution} by {found.resolved_by}"
            + (f" ({found.resolution_reason})" if found.resolution_reason else "")
        )
    return "\n".join(lines)


@reports.command("show")
@click.argument("report_id", type=int)
@json_option
def show_report(report_id: int, as_json: bool) -> None:
    """One report in full."""
    found = with_client(lambda client: api_reports.report_of(client, report_id))
    click.echo(found.model_dump_json() if as_json else describe(found))


@reports.command("resolve")
@click.argument("report_id", type=int)
@click.argument("resolution", type=click.Choice(RESOLUTIONS))
@click.option("--reason", default="", help="Why, for the moderation log.")
def resolve_report(report_id: int, resolution: str, reason: str) -> None:
    """Resolve a report: no_action, limit or suspend the reported domain, or remove_content."""
    done = with_client(lambda client: api_reports.resolve(client, report_id, resolution, reason))
    click.echo(f"Report {done.id} resolved: {done.resolution}.")


@moderation.command()
@me_option
@click.argument("target")
@click.option("--reason", default="", help="Why, for the moderation log.")
def block(as_me: bool, target: str, reason: str) -> None:
    """Block an actor (name@domain or URL), as the place or --me."""
    result = with_client(lambda client: api_reports.block(client, target, reason, as_me=as_me))
    said = "Blocked" if result.state == "blocked" else "Already blocked:"
    click.echo(f"{said} {result.actor}.")


@moderation.command()
@me_option
@click.argument("target")
def unblock(as_me: bool, target: str) -> None:
    """Lift a block, as the place or --me."""
    result = with_client(lambda client: api_reports.unblock(client, target, as_me=as_me))
    said = "Unblocked" if result.state == "unblocked" else "Was not blocked:"
    click.echo(f"{said} {result.actor}.")


@moderation.command()
@me_option
@json_option
def blocks(as_me: bool, as_json: bool) -> None:
    """The actors blocked by the place, or --me."""
    found = with_client(lambda client: api_reports.blocks(client, as_me=as_me))
    show(found, BLOCK_COLUMNS, as_json, "Nobody blocked.")


REPORT_COMMANDS: tuple[click.Command, ...] = (report,)
