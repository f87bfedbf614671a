"""Reports: filed by a member, received as a Flag, sent on as a Flag, resolved by a moderator.

Inbound, a `Flag` is read in Mastodon's shape (`ActivityPub::FlagSerializer`: `actor` the
sending server's instance actor, `object` the reported actor then status ids, `content` the
comment) and Mobilizon's (`Converter.Flag.model_to_as`: `actor` the relay actor, `object` the
reported actor, comments, then the event). As Mastodon's `ActivityPub::Activity::Flag`, only
objects of this node count: a Flag naming none of ours is dropped.

Outbound, the Flag is sent by the node's `Application` actor (FEP-2677; DESIGN.md), never by the
member who filed it, so that the reported server does not learn who reported, as Mastodon does
with its instance actor. It goes to the reported actor's own inbox, like Mastodon's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import asyncpg
import structlog

from federation.hosts import canonical_host
from server.database import DbConnection
from server.processing import live_feed
from server.processing.context import NodeContext
from server.processing.domain_policy import InvalidPolicy, apply_policy, canonical_domain
from server.processing.publish import as_list, new_activity_id, publish
from server.processing.sanitise import html_text, typed_text
from server.storage import (
    events,
    local_actors,
    moderation_log,
    open_calls,
    profiles,
    remote_actors,
    reports,
)
from server.storage.inbox import ReceivedActivity
from server.storage.local_actors import APPLICATION, PLACE
from server.storage.reports import Report
from server.urls import NodeUrls

log = structlog.get_logger(__name__)

Resolution = Literal["no_action", "limit", "suspend", "remove_content"]
DOMAIN_RESOLUTIONS = ("limit", "suspend")
MAX_OBJECTS = 20  # a report names one actor and a few of its objects; more is noise
MAX_COMMENT = 5000  # Mastodon caps a report's comment at 1000 characters; we keep more
# Open reports one remote reporter, and all the reporters of one server, may have in our queue
# (FEDERATION.md, "Reports"): a Flag beyond them is dropped. Ten open reports from one actor, or
# fifty from one server, is more than moderators of a place can read; what they resolve frees room.
MAX_OPEN_PER_REPORTER = 10
MAX_OPEN_PER_ORIGIN = 50


class ReportError(Exception):
    """The report cannot be filed or resolved; the message says why."""


class NotAllowed(ReportError):
    """The account's role does not allow this resolution."""


@dataclass(frozen=True)
class Reported:
    actor: str  # who is reported: the actor itself, or the author of the object reported
    objects: list[str]  # the events, calls or profiles reported, by id


async def reported(connection: DbConnection, node: NodeContext, target: str) -> Reported:
    """What is reported, from the id of an actor, event, call or shared profile known here."""
    event = await events.find_by_ap_id(connection, target)
    if event is not None:
        return Reported(event.attributed_to, [target])
    call = await open_calls.find_by_uri(connection, target)
    if call is not None:
        return Reported(call.actor_uri, [target])
    name = node.urls.local_actor_name(target)
    if name is not None and await local_actors.find_local_actor(connection, name) is not None:
        return Reported(target, [])
    if await profiles.find_remote_profile(connection, target) is not None:
        return Reported(target, [target])
    if await remote_actors.find_remote_actor(connection, target) is not None:
        return Reported(target, [])
    raise ReportError("nothing known here by that id: report an actor, event, call or profile")


async def file_report(
    pool: asyncpg.Pool,
    node: NodeContext,
    *,
    reporter: str,
    target: str,
    comment: str,
    forward: bool,
) -> Report:
    """A member reports something: it joins our queue; with `forward`, a Flag by our
    Application actor goes to the reported actor's server too (when it is another server)."""
    comment = typed_text(comment)[:MAX_COMMENT]
    async with pool.acquire() as connection, connection.transaction():
        found = await reported(connection, node, target)
        await reports.lock_reporter(connection, f"@{reporter}")
        same = await merged(connection, reporter, found, comment)
        if same is not None:
            return same  # the member's first report stands, sent on or not as they chose then
        # Sent on only to a server we can reach: an actor of another node that we hold.
        reachable = not node.urls.is_local(found.actor) and await remote_actors.known(
            connection, found.actor
        )
        flag_id = new_activity_id(node.urls) if forward and reachable else None
        report = await reports.add_report(
            connection,
            origin="",
            reporter=reporter,
            target_actor=found.actor,
            objects=found.objects,
            comment=comment,
            flag_id=flag_id,
            forwarded=flag_id is not None,
        )
        assert report is not None  # a new Flag id never collides
        if flag_id is not None:
            await publish(
                connection,
                node.urls,
                APPLICATION,
                {
                    "id": flag_id,
                    "type": "Flag",
                    "object": [found.actor, *found.objects],
                    "content": comment,
                    "to": [found.actor],
                },
                to_followers=False,
                recipients=[found.actor],
                on_stream=False,
            )
        await moderation_log.record(
            connection,
            who=reporter,
            action="report.file",
            target=found.actor,
            reason=comment,
            details={"report": report.id, "objects": found.objects, "forwarded": report.forwarded},
        )
    return report


async def receive_flag(
    connection: DbConnection, node: NodeContext, activity: ReceivedActivity
) -> None:
    """A Flag from another server: queued when it names an actor or object of ours."""
    named = [ref for ref in as_list(activity.payload.get("object")) if ref]
    ids = [ref.get("id") if isinstance(ref, dict) else ref for ref in named][:MAX_OBJECTS]
    ours = [
        ref
        for ref in ids
        if isinstance(ref, str) and node.urls.is_local(ref) and await exists(connection, node, ref)
    ]
    if not ours:
        log.info("a Flag naming nothing of ours ignored", flag=activity.activity_id)
        return
    actors = [ref for ref in ours if node.urls.local_actor_name(ref) is not None]
    objects = [ref for ref in ours if ref not in actors]
    target = actors[0] if actors else await owner_of(connection, node.urls.actor(PLACE), objects)
    origin = canonical_host(activity.actor_uri)
    reporter = activity.actor_uri
    content = activity.payload.get("content")
    comment = html_text(content if isinstance(content, str) else "")[:MAX_COMMENT]
    await reports.lock_reporter(connection, origin)
    same = await merged(connection, reporter, Reported(target, objects), comment)
    if same is not None:
        log.info("a Flag repeating an open report merged", report=same.id, reporter=reporter)
        return
    counts = await reports.open_counts(connection, origin=origin, reporter=reporter)
    if counts.reporter >= MAX_OPEN_PER_REPORTER or counts.origin >= MAX_OPEN_PER_ORIGIN:
        log.warning(
            "a Flag beyond the open reports cap dropped",
            flag=activity.activity_id,
            reporter=reporter,
            open_by_reporter=counts.reporter,
            open_by_origin=counts.origin,
        )
        return
    report = await reports.add_report(
        connection,
        origin=origin,
        reporter=reporter,
        target_actor=target,
        objects=objects,
        comment=comment,
        flag_id=activity.activity_id,
    )
    if report is not None:
        log.info("report received", report=report.id, reporter=reporter, target=target)


async def merged(
    connection: DbConnection, reporter: str, found: Reported, comment: str
) -> Report | None:
    """The open report this one repeats (same reporter, actor and objects), its comment added to
    the first's: Mastodon sends every report of its users by one instance actor, so two people
    of one server reporting the same post arrive as one reporter."""
    same = await reports.find_open_duplicate(
        connection, reporter=reporter, target_actor=found.actor, objects=found.objects
    )
    if same is not None:
        await reports.add_comment(connection, same.id, comment, MAX_COMMENT)
    return same


async def exists(connection: DbConnection, node: NodeContext, ref: str) -> bool:
    try:
        await reported(connection, node, ref)
    except ReportError:
        return False
    return True


async def owner_of(connection: DbConnection, place: str, objects: list[str]) -> str:
    for ref in objects:
        event = await events.find_by_ap_id(connection, ref)
        if event is not None:
            return event.attributed_to
    return place


async def resolve(
    pool: asyncpg.Pool,
    *,
    report_id: int,
    resolution: Resolution,
    reason: str,
    who: str,
    local_hosts: frozenset[str],
    may_change_domains: bool,
    urls: NodeUrls,
) -> Report:
    """Close a report with one action, written to the moderation log with the report.

    `limit` and `suspend` set a domain policy, which takes the role that sets one directly
    (`may_change_domains`): resolving a report is no way around it. `urls`: a suspension frees
    the seats the domain's people took in our events and sends the new counts (`purge_domain`)."""
    if resolution in DOMAIN_RESOLUTIONS and not may_change_domains:
        raise NotAllowed(f"{resolution} sets a domain policy: an administrator's decision")
    async with pool.acquire() as connection, connection.transaction():
        report = await reports.find_report(connection, report_id)
        if report is None:
            raise LookupError(f"no report {report_id}")
        if report.state != "open":
            # Before any policy is applied: a suspension purges a domain, work a rollback wastes.
            raise ReportError(f"report {report_id} is resolved already")
        details: dict[str, object] = {"report": report_id, "resolution": resolution}
        if resolution in ("limit", "suspend"):
            try:
                domain = canonical_domain(canonical_host(report.target_actor))
            except (InvalidPolicy, ValueError) as error:
                raise ReportError(f"the reported actor has no domain: {error}") from None
            if domain in local_hosts:
                raise ReportError(f"{domain} is this node: {resolution} applies to other domains")
            await apply_policy(
                connection,
                domain=domain,
                severity=resolution,
                who=who,
                private_reason=reason,
                urls=urls,
            )
            details["domain"] = domain
        elif resolution == "remove_content":
            details["removed"] = await remove_content(connection, report)
        closed = await reports.mark_resolved(connection, report_id, resolution, reason, who)
        if closed is None:
            raise ReportError(f"report {report_id} is resolved already")
        await moderation_log.record(
            connection,
            who=who,
            action=f"report.{resolution}",
            target=report.target_actor,
            reason=reason,
            details=details,
        )
    return closed


async def remove_content(connection: DbConnection, report: Report) -> list[str]:
    """Delete here the imported events, calls and profiles the report names (ours stay: a
    place removes its own content through its own pages)."""
    removed: list[str] = []
    # What the report names; the reported actor itself (its shared profile) only when it names
    # nothing else, so a report about one event leaves the author's profile alone.
    for ref in dict.fromkeys(report.objects or [report.target_actor]):
        event = await events.find_by_ap_id(connection, ref)
        if event is not None and not event.local:
            if await events.delete_remote(connection, ref, event.actor_uri):
                removed.append(ref)
            continue
        call = await open_calls.find_by_uri(connection, ref)
        if call is not None and not call.local:
            if await open_calls.delete_remote(connection, ref, call.actor_uri):
                removed.append(ref)
            continue
        if await profiles.remove_remote_profile(connection, ref, ref):
            removed.append(ref)
    await live_feed.withdraw(connection, removed)
    return removed
