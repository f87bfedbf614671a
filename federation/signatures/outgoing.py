"""Headers to add to an outgoing request, computed at send time by the delivery worker."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from email.utils import format_datetime

from federation.digests import make_content_digest, make_digest
from federation.keys import PrivateKey
from federation.signatures import cavage, rfc9421
from federation.signatures.errors import Scheme
from federation.signatures.message import HeaderInput, Message

__all__ = ["cavage_headers_for", "rfc9421_components_for", "signed_request_headers"]


def cavage_headers_for(has_body: bool) -> tuple[str, ...]:
    """What Mastodon requires to be covered: the target, host, date, and the body's digest."""
    base = ("(request-target)", "host", "date")
    return (*base, "digest") if has_body else base


def rfc9421_components_for(has_body: bool) -> tuple[str, ...]:
    base = ("@method", "@target-uri", "@authority")
    return (*base, "content-digest") if has_body else base


def signed_request_headers(
    scheme: Scheme,
    method: str,
    url: str,
    body: bytes,
    *,
    key: PrivateKey,
    key_id: str,
    now: datetime | None = None,
    headers: HeaderInput = (),
    covered: Sequence[str] | None = None,
) -> dict[str, str]:
    """Host, Date, the digest header for the scheme (when there is a body) and the signature.

    `headers` are the request's other headers, needed only if `covered` names some of them.
    """
    moment = now or datetime.now(UTC)
    draft = Message.build(method, url, headers, body)
    added = {"Host": draft.authority, "Date": format_datetime(moment.astimezone(UTC), usegmt=True)}
    if draft.has_body:
        added["Digest" if scheme is Scheme.CAVAGE else "Content-Digest"] = (
            make_digest(body) if scheme is Scheme.CAVAGE else make_content_digest(body)
        )
    # Ours replace any Host, Date or digest the caller passed, so what we sign is what is sent.
    replaced = {name.lower() for name in added}
    pairs = [
        (name, value)
        for name, values in draft.headers.items()
        if name not in replaced
        for value in values
    ]
    pairs.extend(added.items())
    message = Message.build(method, url, pairs, body)
    if scheme is Scheme.CAVAGE:
        names = covered or cavage_headers_for(draft.has_body)
        added["Signature"] = cavage.sign_message(message, key, key_id, names)
    else:
        names = covered or rfc9421_components_for(draft.has_body)
        created = int(moment.timestamp())
        added |= rfc9421.sign_message(message, key, key_id, created=created, components=names)
    return added
