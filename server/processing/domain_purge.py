"""Purging what we hold from a suspended domain, in the transaction that suspends it.

Each actor of the domain goes the way of an actor that deleted itself (`actor_lifecycle.
actor_gone`, whose reactions end follows both ways, drop what it sent us with notices of removal
on the stream, forget its directory suggestions and give up deliveries to it), then is
forgotten with its keys. What is left that names the domain without being tied to one of its
stored actors (an event of the domain announced by someone else, a profile a place of the domain
shared, a suggestion pointing at it, a pending delivery or inbox activity) goes next. Nothing is
sent to the domain: a suspension is not announced to the suspended.
"""

from __future__ import annotations

import structlog

from server.database import DbConnection
from server.processing import actor_lifecycle, live_feed
from server.processing.rsvp.admission import withdraw
from server.storage import backfill_jobs, remote_actors
from server.storage import held_from_domain as held
from server.urls import NodeUrls

log = structlog.get_logger(__name__)

WHY = "the domain is suspended"


async def purge_domain(
    connection: DbConnection, domain: str, urls: NodeUrls | None = None
) -> dict[str, int]:
    """Remove everything held from `domain` and its subdomains; counts of what went. With
    `urls`, the seats its people took in our events are freed and the events' counts updated
    for our followers; without, the seats are freed and the counts follow on the next update."""
    counts: dict[str, int] = {}
    actors = await held.held(connection, "remote_actors", domain)
    for uri in actors:
        await actor_lifecycle.actor_gone(connection, uri)
        await remote_actors.forget_remote_actor(connection, uri)
    counts["actors"] = len(actors)
    events = await held.delete_events(connection, await held.held(connection, "events", domain))
    calls = await held.delete_calls(connection, await held.held(connection, "open_calls", domain))
    persons = await held.held(connection, "remote_profiles", domain)
    await held.delete_by_key(connection, "remote_profiles", persons)
    await live_feed.withdraw(connection, [*events, *calls, *persons])
    counts["events"], counts["calls"], counts["profiles"] = len(events), len(calls), len(persons)
    for table in ("event_rsvps", "suggestion_refreshes"):
        keys = await held.held(connection, table, domain)
        counts[table] = await held.delete_by_key(connection, table, keys)
    counts["follows"] = await held.delete_follows(connection, domain)
    followed = await held.held(connection, "backfill_jobs", domain)
    for actor in followed:
        await backfill_jobs.cancel_pending(connection, actor)
    counts["backfills"] = len(followed)
    counts["suggestions"] = await held.delete_suggestions(connection, domain)
    counts["participations"] = 0
    for event_ap_id, participant in await held.participations(connection, domain):
        if urls is not None:
            await withdraw(connection, urls, event_ap_id, participant)
        else:
            await held.remove_participation(connection, event_ap_id, participant)
        counts["participations"] += 1
    hosts = await held.pending_delivery_hosts(connection, domain)
    counts["deliveries"] = await held.give_up_deliveries(connection, hosts, WHY)
    counts["inbox"] = await held.drop_pending_inbox(connection, domain, WHY)
    counts["stream"] = await held.forget_stream_mentions(connection, domain)
    log.info("domain purged", domain=domain, **counts)
    return {name: count for name, count in counts.items() if count}
