"""Strict out: what we serialise parses back to the same models, in the shapes peers expect."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

import pytest

from schemas.activitystreams import (
    Accept,
    Create,
    Endpoints,
    Event,
    EventStatus,
    Group,
    Join,
    Multikey,
    OpenCall,
    OpeningHoursSpecification,
    Person,
    Place,
    PostalAddress,
    PriceSpecification,
    ProfileVisibility,
    PublicKey,
    VirtualLocation,
)
from schemas.context import (
    EMITTED_CONTEXT,
    MAILLAGE_CONTEXT_URL,
    context_document,
    emitted_context,
    maillage_terms,
)
from schemas.emit import to_json, to_json_bytes
from schemas.errors import SchemaError
from schemas.parse import parse_activity, parse_actor, parse_object
from schemas.vocab import MAILLAGE_NAMESPACE, PUBLIC_COLLECTION

NODE = "https://tiers-lieu.example"
PARIS = timezone(timedelta(hours=2))


def a_place() -> Place:
    return Place(
        id=f"{NODE}/places/1",
        name="La Grange numérique",
        address=PostalAddress(
            street_address="2 rue de la Gare",
            postal_code="35600",
            address_locality="Redon",
            address_country="FR",
        ),
        latitude=47.65,
        longitude=-2,
    )


def an_event() -> Event:
    return Event(
        id=f"{NODE}/events/42",
        name="Repair café",
        content="<p>Apportez vos objets.</p>",
        start_time=datetime(2024, 6, 1, 14, 0, tzinfo=PARIS),
        end_time=datetime(2024, 6, 1, 18, 0, tzinfo=PARIS),
        timezone="Europe/Paris",
        location=[a_place(), VirtualLocation(url="https://visio.example/repair")],
        category="WORKSHOP",
        join_mode="free",
        maximum_attendee_capacity=20,
        remaining_attendee_capacity=5,
        participant_count=15,
        ical_status=EventStatus.CONFIRMED,
        attributed_to=[f"{NODE}/actors/place"],
        to=[PUBLIC_COLLECTION],
        cc=[f"{NODE}/actors/place/followers"],
        published=datetime(2024, 5, 1, 9, 30, tzinfo=UTC),
    )


def a_group() -> Group:
    return Group(
        id=f"{NODE}/actors/place",
        preferred_username="place",
        name="La Grange numérique",
        inbox=f"{NODE}/actors/place/inbox",
        outbox=f"{NODE}/actors/place/outbox",
        followers=f"{NODE}/actors/place/followers",
        following=f"{NODE}/actors/place/following",
        endpoints=Endpoints(shared_inbox=f"{NODE}/inbox"),
        public_key=[
            PublicKey(
                id=f"{NODE}/actors/place#main-key",
                owner=f"{NODE}/actors/place",
                public_key_pem="-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n",
            )
        ],
        assertion_method=[
            Multikey(
                id=f"{NODE}/actors/place#ed25519-key",
                controller=f"{NODE}/actors/place",
                public_key_multibase="z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",
            )
        ],
        manually_approves_followers=True,
        discoverable=True,
        location=[a_place()],
        opening_hours=[
            OpeningHoursSpecification(
                day_of_week=["Monday", "Tuesday"], opens=time(9), closes=time(18)
            )
        ],
        opening_hours_exception=[
            OpeningHoursSpecification(valid_from=date(2024, 8, 1), valid_through=date(2024, 8, 15))
        ],
        services=["fibre", "visio", "3d-printer"],
        space_kinds=["coworking", "fablab"],
        accessibility=["wheelchair"],
        prices=[PriceSpecification(name="Journée", price="12", price_currency="EUR")],
        labels=["Fabrique de territoire"],
    )


def test_event_roundtrip() -> None:
    event = an_event()
    assert parse_object(to_json(event)) == event


def test_event_output_shape() -> None:
    document = to_json(an_event())
    assert document["@context"] == emitted_context()
    assert document["startTime"] == "2024-06-01T14:00:00+02:00"
    assert document["published"] == "2024-05-01T09:30:00Z"
    assert document["ical:status"] == "CONFIRMED"
    assert document["eventStatus"] == "EventScheduled"
    place, online = document["location"]
    assert place["address"]["type"] == "PostalAddress"
    assert online == {"type": "VirtualLocation", "url": "https://visio.example/repair"}
    # Functional values are bare, addressing stays a list, nothing empty or null is sent.
    assert document["attributedTo"] == f"{NODE}/actors/place"
    assert document["to"] == [PUBLIC_COLLECTION]
    assert "tag" not in document
    assert "inReplyTo" not in document
    assert all(value is not None for value in document.values())


def test_coordinates_are_json_floats() -> None:
    encoded = to_json_bytes(a_place()).decode()
    assert '"latitude": 47.65' in encoded
    assert '"longitude": -2.0' in encoded
    document = json.loads(encoded)
    assert isinstance(document["longitude"], float)


@pytest.mark.parametrize(("latitude", "longitude"), [(47, -2), ("47.0", "-2"), (47.0, " -2.0 ")])
def test_coordinates_are_read_liberally(latitude: Any, longitude: Any) -> None:
    place = parse_object({"type": "Place", "latitude": latitude, "longitude": longitude})
    assert isinstance(place, Place)
    assert to_json(place, with_context=False) == {
        "type": "Place",
        "latitude": 47.0,
        "longitude": -2.0,
    }


@pytest.mark.parametrize(
    "coordinates",
    [
        {"latitude": 91, "longitude": 0},
        {"latitude": 0, "longitude": 181},
        {"latitude": "NaN", "longitude": 0},
        {"latitude": True, "longitude": 0},
        {"latitude": 10},
    ],
)
def test_bad_coordinates_are_refused(coordinates: dict[str, Any]) -> None:
    with pytest.raises(SchemaError, match="Place: invalid fields"):
        parse_object({"type": "Place", **coordinates})


def test_group_roundtrip_with_place_details() -> None:
    group = a_group()
    document = to_json(group)
    assert document["endpoints"] == {"sharedInbox": f"{NODE}/inbox"}
    assert document["publicKey"]["publicKeyPem"].startswith("-----BEGIN PUBLIC KEY-----")
    assert document["assertionMethod"]["type"] == "Multikey"
    assert document["openingHours"] == [
        {
            "type": "OpeningHoursSpecification",
            "dayOfWeek": ["Monday", "Tuesday"],
            "opens": "09:00:00",
            "closes": "18:00:00",
        }
    ]
    parsed = parse_actor(document)
    assert parsed == group
    assert parsed.key(f"{NODE}/actors/place#ed25519-key") is not None


def test_person_roundtrip_with_profile() -> None:
    person = Person(
        id=f"{NODE}/actors/ana",
        inbox=f"{NODE}/actors/ana/inbox",
        name="Ana",
        summary="Développeuse",
        skills=["python", "soudure"],
        profile_visibility=ProfileVisibility.NETWORK,
        icon=["https://tiers-lieu.example/media/ana.png"],
    )
    document = to_json(person)
    assert document["profileVisibility"] == "network"
    assert document["skills"] == ["python", "soudure"]
    assert parse_actor(document) == person


def test_activity_roundtrip_with_embedded_event() -> None:
    create = Create(
        id=f"{NODE}/events/42/activity",
        actor=f"{NODE}/actors/place",
        object=an_event(),
        to=[PUBLIC_COLLECTION],
    )
    parsed = parse_activity(to_json(create))
    assert parsed == create
    assert "@context" not in to_json(create)["object"]


def test_join_accept_roundtrip() -> None:
    join = Join(
        id=f"{NODE}/joins/1", actor=f"{NODE}/actors/ana", object="https://other.example/e/1"
    )
    accept = Accept(
        id="https://other.example/accepts/1", actor="https://other.example/g", object=join
    )
    assert parse_activity(to_json(accept)) == accept


def test_open_call_roundtrip_and_readable_form() -> None:
    call = OpenCall(
        id=f"{NODE}/calls/3",
        name="Appel à bénévoles : fête du numérique",
        summary="Nous cherchons des bénévoles pour tenir les ateliers.",
        url=[f"{NODE}/calls/3"],
        call_kind="volunteers",
        call_status="open",
        deadline=datetime(2024, 9, 1, 23, 59, tzinfo=PARIS),
        skills_wanted=["animation", "réparation"],
        territory="Pays de Redon",
        contact="mailto:contact@tiers-lieu.example",
        attributed_to=[f"{NODE}/actors/place"],
    )
    document = to_json(call)
    # Mastodon shows a Page by its name, summary and url.
    assert (document["type"], document["name"], document["url"]) == (
        "Page",
        call.name,
        f"{NODE}/calls/3",
    )
    assert parse_object(document) == call


def test_status_is_read_from_either_property() -> None:
    base = {"type": "Event", "startTime": "2024-06-01T14:00:00Z"}
    cancelled = parse_object({**base, "eventStatus": "https://schema.org/EventCancelled"})
    assert isinstance(cancelled, Event)
    assert cancelled.status is EventStatus.CANCELLED
    assert cancelled.ical_status == "CANCELLED"
    tentative = parse_object({**base, "ical:status": "tentative"})
    assert isinstance(tentative, Event)
    assert tentative.status is EventStatus.TENTATIVE
    assert "eventStatus" not in to_json(tentative)


def test_schema_org_prefixed_keys_are_understood() -> None:
    for prefix, namespace in [("schema", "http://schema.org#"), ("s", "https://schema.org/")]:
        document = {
            "@context": ["https://www.w3.org/ns/activitystreams", {prefix: namespace}],
            "type": "Place",
            f"{prefix}:address": {
                "type": f"{prefix}:PostalAddress",
                f"{prefix}:addressLocality": "Redon",
            },
        }
        place = parse_object(document)
        assert isinstance(place, Place)
        assert isinstance(place.address, PostalAddress)
        assert place.address.address_locality == "Redon"
    full = parse_object({"type": "Place", "https://schema.org/address": "1 place du Marché, Redon"})
    assert isinstance(full, Place)
    assert full.address == "1 place du Marché, Redon"


def test_a_redefined_prefix_is_not_ours() -> None:
    document = {
        "@context": [{"schema": "https://not-schema.example/"}],
        "type": "Place",
        "schema:address": "elsewhere",
    }
    place = parse_object(document)
    assert isinstance(place, Place)
    assert place.address is None
    assert place.model_extra == {"schema:address": "elsewhere"}
    assert "schema:address" not in to_json(place)


def test_naive_datetimes_are_utc() -> None:
    event = parse_object({"type": "Event", "startTime": "2024-06-01T14:00:00"})
    assert isinstance(event, Event)
    assert event.start_time.tzinfo is not None
    assert to_json(event)["startTime"] == "2024-06-01T14:00:00Z"


def test_event_errors_name_the_fields() -> None:
    with pytest.raises(SchemaError) as caught:
        parse_object({"type": "Event", "location": {"type": "Place", "latitude": 200}})
    reason = caught.value.reason
    assert reason.startswith("Event: invalid fields: ")
    assert "startTime: Field required" in reason
    assert "location" in reason
    assert "latitude" in reason


def test_several_objects_are_refused_several_actors_give_the_first() -> None:
    several = parse_activity(
        {"type": "Follow", "actor": ["https://a/1", "https://a/2"], "object": "x"}
    )
    assert several.actor == "https://a/1"
    with pytest.raises(SchemaError, match="actor"):
        parse_activity({"type": "Follow", "actor": [], "object": "x"})
    with pytest.raises(SchemaError, match="object"):
        parse_activity({"type": "Delete", "actor": "https://a/1", "object": ["x", "y"]})
    one = parse_activity({"type": "Delete", "actor": ["https://a/1"], "object": ["x"]})
    assert one.actor == "https://a/1"


def test_context_document_defines_every_extension_field() -> None:
    document = context_document()
    definitions = document["@context"]
    assert definitions["maillage"] == MAILLAGE_NAMESPACE
    expected = {
        "openingHours", "openingHoursException", "services", "spaceKinds", "accessibility",
        "prices", "labels", "profileVisibility", "skills", "callKind", "callStatus",
        "deadline", "skillsWanted", "territory", "contact",
    }  # fmt: skip
    assert maillage_terms() == expected
    # Everything our models emit beyond AS2 is defined by a context we emit.
    inline = EMITTED_CONTEXT[-1]
    assert isinstance(inline, dict)
    emitted_keys = set(to_json(a_group())) | set(to_json(an_event())) | {"address", "dayOfWeek"}
    defined = set(definitions) | set(inline) | AS2_TERMS
    undefined = {key for key in emitted_keys - defined if key.partition(":")[0] not in inline}
    assert undefined == set()
    # Our terms are inline: a JSON-LD peer must not need to fetch MAILLAGE_CONTEXT_URL.
    assert MAILLAGE_CONTEXT_URL not in emitted_context()
    assert {term: inline[term] for term in definitions} == definitions


def test_context_copies_are_independent() -> None:
    context_document()["@context"]["maillage"] = "changed"
    emitted_context()[0] = "changed"
    assert context_document()["@context"]["maillage"] == MAILLAGE_NAMESPACE
    assert emitted_context()[0] == "https://www.w3.org/ns/activitystreams"


# Terms of the AS2 and security/multikey contexts our models emit.
AS2_TERMS = {
    "@context", "id", "type", "name", "content", "summary", "url", "attributedTo", "to", "cc",
    "published", "startTime", "endTime", "location", "latitude", "longitude", "preferredUsername",
    "inbox", "outbox", "followers", "following", "endpoints", "publicKey", "assertionMethod",
    "icon",
}  # fmt: skip
