"""Taking an activity into an inbox: authenticate, check origins, store, then answer 202.

Nothing is recorded (not even the de-duplication key) before the signature, the key owner and the
origins are checked, so a forged copy cannot poison the id of a real activity (SECURITY.md #12).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
import structlog

from federation.fetcher import parse_media_type
from federation.hosts import canonical_host, origin_of
from federation.proofs import ProofError, proofs_of
from federation.signatures import SignatureError, VerifiedSignature, prepare_verification
from schemas.errors import UntrustedJsonError
from schemas.jsontext import load_json
from schemas.normalise import type_name
from schemas.untrusted import DEFAULT_LIMITS, check_untrusted
from server.processing.inbox_writer import InboxWriter
from server.processing.payloads import object_id_of
from server.processing.proofs import AuthorProof, check_author_proof
from server.processing.remote_actors import ActorUnavailable, RemoteActorDirectory
from server.storage import inbox, remote_hosts

log = structlog.get_logger(__name__)

OBJECT_CARRYING = frozenset({"Create", "Update"})
INBOX_MEDIA_TYPES = frozenset(
    {"application/activity+json", "application/ld+json", "application/json"}
)


class Refused(Exception):
    """The request is refused; `status` and `reason` make the answer."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class IncomingRequest:
    method: str
    url: str  # as the sender addressed it: our public base plus the path and query
    headers: list[tuple[str, str]]
    body: bytes
    recipient: str | None  # local actor name for a personal inbox, None for the shared one


@dataclass(frozen=True)
class Accepted:
    stored: bool  # False for a duplicate or an activity we drop without effect
    activity_id: str | None
    key_id: str | None = None  # the key whose signature was verified; None if none was checked


def parse_body(body: bytes) -> dict[str, Any]:
    try:
        payload = load_json(
            body, max_depth=DEFAULT_LIMITS.max_depth, max_keys=DEFAULT_LIMITS.max_items
        )
        if not isinstance(payload, dict):
            raise Refused(400, "the body must be a JSON object")
        check_untrusted(payload)
    except UntrustedJsonError as error:
        raise Refused(400, str(error)) from None
    return payload


def check_media_type(headers: list[tuple[str, str]]) -> None:
    """An ActivityPub body is JSON in UTF-8, labelled with a JSON media type (FEDERATION.md).

    `application/ld+json` is taken with or without the ActivityStreams profile and plain
    `application/json` too: real servers send both, and the body is read as JSON whatever the
    label. What is refused is every type a web page can make a browser POST to another origin
    without a CORS preflight (`text/plain`, forms), and any charset but UTF-8.
    """
    value = next((v for name, v in headers if name.lower() == "content-type"), "")
    kind, parameters = parse_media_type(value)
    if kind not in INBOX_MEDIA_TYPES:
        raise Refused(
            415, f"the body must be application/activity+json, not {kind[:80] or 'unlabelled'}"
        )
    charset = parameters.get("charset", "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        raise Refused(415, f"the body must be UTF-8, not {charset[:40]}")


def required_text(payload: dict[str, Any], key: str) -> str:
    value = payload.get(key)
    if isinstance(value, dict):
        value = value.get("id")
    if not isinstance(value, str) or not value:
        raise Refused(400, f"the activity has no {key}")
    return value


def with_one_actor(payload: dict[str, Any]) -> dict[str, Any]:
    """The activity as we store and check it: one actor and one type name each.

    `actor` as a list (AS2 allows several; some servers wrap their one actor in a list): the
    first, an id or an embedded actor, is the activity's actor, and the signature must be its
    (SECURITY.md row 4); the others are dropped, so nothing downstream reads an actor that was
    not authenticated. `type` (the activity's and its embedded object's) as a list or with a
    prefix (`as:Create`) becomes the one name processing dispatches on, so that the origin
    checks below see the type the handlers will act on.
    """
    head = dict(payload)
    actor = head.get("actor")
    if isinstance(actor, list):
        head["actor"] = actor[0] if actor else None
    if "type" in head:
        head["type"] = type_name(head["type"])
    target = head.get("object")
    if isinstance(target, dict) and "type" in target:
        head["object"] = {**target, "type": type_name(target["type"])}
    return head


def check_origins(payload: dict[str, Any], activity_id: str, actor: str) -> None:
    """Activity, embedded object and attribution share the actor's origin (SECURITY.md #9, #10)."""
    actor_origin = safe_origin(actor)
    if safe_origin(activity_id) != actor_origin:
        raise Refused(400, "the activity id is not on the actor's origin")
    kind = payload.get("type")
    target = payload.get("object")
    if kind in OBJECT_CARRYING and isinstance(target, dict):
        target_id = target.get("id")
        if isinstance(target_id, str) and safe_origin(target_id) != actor_origin:
            raise Refused(400, "the embedded object is not on the actor's origin")
        attributed = target.get("attributedTo")
        owners = attributed if isinstance(attributed, list) else [attributed]
        for owner in owners:
            owner_id = owner.get("id") if isinstance(owner, dict) else owner
            if isinstance(owner_id, str) and safe_origin(owner_id) != actor_origin:
                raise Refused(400, "the object is attributed to an actor of another origin")
    if kind == "Delete":
        target_id = object_id_of(payload)
        if target_id is not None and safe_origin(target_id) != actor_origin:
            raise Refused(400, "an actor may only delete objects of its own origin")


def without_foreign_copy(payload: dict[str, Any], actor: str) -> dict[str, Any]:
    """An Announce's embedded object from another origin is only a claim: keep just its id,
    so that nothing downstream trusts the copy instead of fetching it from its origin (#9)."""
    target = payload.get("object")
    if payload.get("type") != "Announce" or not isinstance(target, dict):
        return payload
    target_id = target.get("id")
    if isinstance(target_id, str) and safe_origin(target_id) != safe_origin(actor):
        return {**payload, "object": target_id}
    return payload


def refuse_moderated(directory: RemoteActorDirectory, url: str) -> None:
    """403 for a URL on a host the node does not federate with (a suspended domain, or any
    host but the allowed ones in limited federation mode): before any fetch or write."""
    try:
        host = canonical_host(url)
    except ValueError:
        return  # not a URL: the checks that follow refuse it with their own reason
    if directory.refuses(host):
        raise Refused(403, f"this node does not federate with {host}")


def safe_origin(url: str) -> str:
    try:
        return origin_of(url)
    except ValueError:
        raise Refused(400, f"not a valid URL: {url[:200]!r}") from None


async def verify(
    directory: RemoteActorDirectory,
    request: IncomingRequest,
    actor: str,
    *,
    any_signer: bool = False,
) -> tuple[VerifiedSignature, str]:
    """Check the signature; a known key that fails triggers one refetch of its owner (rotation).
    Returns the signature and the actor who signed: `actor` itself unless `any_signer` (an
    activity whose author's proof is checked next, FEP-8b32) lets another server forward it.

    Everything that needs no key (dates, digest, covered components) is checked first, so a
    malformed request costs no fetch.
    """
    try:
        pending = prepare_verification(
            request.method, request.url, request.headers, request.body, now=datetime.now(UTC)
        )
    except SignatureError as error:
        raise Refused(401, error.reason) from None
    refuse_moderated(directory, pending.key_id)
    try:
        key = await directory.key(pending.key_id)
    except ActorUnavailable as error:
        raise Refused(401, f"cannot obtain key {pending.key_id}: {error}") from None
    if key.actor_uri != actor and not any_signer:
        raise Refused(401, "the signing key does not belong to the activity's actor")
    try:
        return pending.finish(directory.public_key(key)), key.actor_uri
    except SignatureError as error:
        first_reason = error.reason
    try:
        fresh = await directory.refreshed_key(key.key_id, key.actor_uri)
    except ActorUnavailable:
        fresh = None
    if fresh is None or fresh.public_pem == key.public_pem:
        raise Refused(401, first_reason)
    try:
        return pending.finish(fresh.public_pem), key.actor_uri
    except SignatureError as error:
        raise Refused(401, error.reason) from None


async def accept_incoming(
    pool: asyncpg.Pool,
    directory: RemoteActorDirectory,
    writer: InboxWriter,
    request: IncomingRequest,
) -> Accepted:
    check_media_type(request.headers)
    payload = with_one_actor(parse_body(request.body))
    activity_id = required_text(payload, "id")
    activity_type = required_text(payload, "type")
    actor = required_text(payload, "actor")
    refuse_moderated(directory, actor)
    check_origins(payload, activity_id, actor)
    # Mastodon sends an actor's self-Delete to every server it ever talked to: one we never
    # knew needs no fetch and no work (SECURITY.md #19).
    if (
        activity_type == "Delete"
        and object_id_of(payload) == actor
        and await directory.cached_actor(actor) is None
    ):
        return Accepted(stored=False, activity_id=activity_id)
    has_proof = bool(proofs_of(payload))
    verified, signer = await verify(directory, request, actor, any_signer=has_proof)
    try:
        proof = await check_author_proof(directory, payload, actor) if has_proof else None
    except ProofError as error:
        raise Refused(401, f"integrity proof: {error}") from None
    if signer != actor and proof is not AuthorProof.VERIFIED:
        raise Refused(401, "the signing key does not belong to the activity's actor")
    payload = without_foreign_copy(payload, actor)
    host = canonical_host(signer)  # the server that delivered it: the forwarder, if forwarded
    if verified.scheme.value == "rfc9421":
        async with pool.acquire() as connection:
            await remote_hosts.remember_signature_scheme(connection, host, "rfc9421")
    # Committed (with the workers' wake-up and the host's circuit closed) before the 202.
    stored = await writer.store(
        inbox.IncomingActivity(
            origin=safe_origin(actor),
            activity_id=activity_id,
            activity_type=activity_type,
            actor_uri=actor,
            recipient=request.recipient,
            payload=payload,
            alive_host=host,
        )
    )
    return Accepted(stored=stored, activity_id=activity_id, key_id=verified.key_id)
