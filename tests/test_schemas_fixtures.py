"""Every AS2 document of the shared interop fixtures parses into the right model.

The fixtures come from Mobilizon's test suite (Mastodon, Mobilizon, Gancio, PeerTube, Pleroma
documents) and from Gancio's location tests; see tests/fixtures/interop/README.md.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from schemas.activitystreams import (
    Accept,
    Announce,
    Application,
    ASObject,
    Create,
    Delete,
    Document,
    Event,
    Follow,
    GenericActivity,
    GenericObject,
    Image,
    Join,
    Leave,
    Like,
    Link,
    Note,
    OrderedCollection,
    OrderedCollectionPage,
    Person,
    Place,
    PostalAddress,
    PropertyValue,
    Reject,
    Tombstone,
    Undo,
    Update,
    VirtualLocation,
)
from schemas.parse import ids_in, parse_activity, parse_actor, parse_object
from tests.support import INTEROP

MOBILIZON = INTEROP / "mobilizon"
GANCIO = INTEROP / "gancio"

Parser = Callable[[object], ASObject]

# File name -> how the document reaches us, and the model it must become.
AS2_DOCUMENTS: dict[str, tuple[Parser, type[ASObject]]] = {
    "gancio-actor.json": (parse_actor, Application),
    "gancio-event-activity.json": (parse_activity, Create),
    "https__info.pleroma.site_activity.json": (parse_object, Note),
    "mastodon-accept-activity.json": (parse_activity, Accept),
    "mastodon-actor.json": (parse_actor, Person),
    "mastodon-announce.json": (parse_activity, Announce),
    "mastodon-delete-user.json": (parse_activity, Delete),
    "mastodon-delete.json": (parse_activity, Delete),
    "mastodon-follow-activity.json": (parse_activity, Follow),
    "mastodon-like.json": (parse_activity, Like),
    "mastodon-post-activity-hashtag.json": (parse_activity, Create),
    "mastodon-post-activity-private.json": (parse_activity, Create),
    "mastodon-post-activity.json": (parse_activity, Create),
    "mastodon-reject-activity.json": (parse_activity, Reject),
    "mastodon-status-2.json": (parse_object, Note),
    "mastodon-status-3.json": (parse_object, Note),
    "mastodon-status-4.json": (parse_object, Note),
    "mastodon-status-5.json": (parse_object, Note),
    "mastodon-status.json": (parse_object, Note),
    "mastodon-tcit-tcit.json": (parse_actor, Person),
    "mastodon-undo-announce.json": (parse_activity, Undo),
    "mastodon-undo-like.json": (parse_activity, Undo),
    "mastodon-unfollow-activity.json": (parse_activity, Undo),
    "mastodon-update.json": (parse_activity, Update),
    "mobilizon-invite-activity.json": (parse_activity, GenericActivity),
    "mobilizon-join-activity.json": (parse_activity, Join),
    "mobilizon-leave-activity.json": (parse_activity, Leave),
    "mobilizon-members-collection.json": (parse_object, OrderedCollection),
    "mobilizon-post-activity-group.json": (parse_activity, Create),
    "mobilizon-post-activity-media-1.json": (parse_activity, Create),
    "mobilizon-post-activity-media-2.json": (parse_activity, Create),
    "mobilizon-post-activity-media.json": (parse_activity, Create),
    "mobilizon-post-activity.json": (parse_activity, Create),
    # PeerTube's Video is an AS2 Document subtype: read, not acted upon.
    "peertube-video.json": (parse_object, Document),
    "pleroma-comment-object.json": (parse_object, Note),
}
# NodeInfo and WebFinger answers are not ActivityStreams; federation/ reads them.
NOT_AS2 = {
    "nodeinfo/both_versions.json",
    "nodeinfo/data.json",
    "nodeinfo/older_versions.json",
    "nodeinfo/regular.json",
    "nodeinfo/wp-data.json",
    "nodeinfo/wp-event-federation.json",
    "webfinger/friendica-webfinger.json",
    "webfinger/gancio-webfinger.json",
    "webfinger/mastodon-webfinger.json",
    "webfinger/peertube-webfinger.json",
    "webfinger/pleroma-webfinger.json",
}


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def mobilizon(name: str) -> Any:
    return load(MOBILIZON / name)


def test_every_mobilizon_fixture_is_classified() -> None:
    found = {path.relative_to(MOBILIZON).as_posix() for path in MOBILIZON.rglob("*.json")}
    assert found == set(AS2_DOCUMENTS) | NOT_AS2


@pytest.mark.parametrize("name", sorted(AS2_DOCUMENTS))
def test_fixture_parses_into_its_model(name: str) -> None:
    parser, model = AS2_DOCUMENTS[name]
    parsed = parser(mobilizon(name))
    assert type(parsed) is model
    # Whatever reaches us any way also parses as a generic object into the same model.
    assert type(parse_object(mobilizon(name))) is model


@pytest.mark.parametrize("name", sorted(NOT_AS2))
def test_non_as2_fixture_is_not_parsed(name: str) -> None:
    document = load(MOBILIZON / name)
    assert "type" not in document or not isinstance(document.get("type"), str)


def test_mastodon_actor_keys_and_endpoints() -> None:
    actor = parse_actor(mobilizon("mastodon-actor.json"))
    assert isinstance(actor, Person)
    assert actor.id == "https://framapiaf.org/users/peertube"
    assert actor.inbox == "https://framapiaf.org/users/peertube/inbox"
    assert actor.shared_inbox == "https://framapiaf.org/inbox"
    assert actor.followers == "https://framapiaf.org/users/peertube/followers"
    assert actor.manually_approves_followers is False
    assert actor.discoverable is False
    key = actor.key("https://framapiaf.org/users/peertube#main-key")
    assert key is not None
    assert key is actor.public_key[0]
    assert actor.public_key[0].owner == actor.id
    assert actor.public_key[0].public_key_pem.startswith("-----BEGIN PUBLIC KEY-----\nMIIBIjAN")
    assert isinstance(actor.icon[0], Image)
    assert actor.icon[0].url_hrefs()[0].endswith("03ed95406a9a3cd0.png")
    assert actor.key("https://framapiaf.org/users/peertube#other-key") is None


def test_mastodon_profile_fields_are_property_values() -> None:
    actor = parse_actor(mobilizon("mastodon-tcit-tcit.json"))
    fields = {item.name: item.value for item in actor.attachment if isinstance(item, PropertyValue)}
    assert fields["Pronouns"] == "He/Him"
    assert actor.discoverable is True


def test_gancio_application_actor() -> None:
    actor = parse_actor(mobilizon("gancio-actor.json"))
    assert isinstance(actor, Application)
    assert actor.discoverable is True
    assert actor.shared_inbox is None
    assert actor.public_key[0].id == "https://demo.gancio.org/federation/u/gancio#main-key"


def test_gancio_event_with_untyped_location_and_relative_hashtag() -> None:
    activity = parse_activity(mobilizon("gancio-event-activity.json"))
    assert isinstance(activity, Create)
    event = activity.object
    assert isinstance(event, Event)
    assert event.start_time.isoformat() == "2021-07-14T17:30:57+02:00"
    assert event.end_time is not None
    assert event.end_time.utcoffset() is not None
    assert [place.name for place in event.places] == ["Colosseo"]
    assert event.places[0].id is None
    assert event.url_hrefs() == ["https://demo.gancio.org/event/demo-event"]
    hashtag = event.tag[0]
    assert isinstance(hashtag, Link)
    assert hashtag.type == "Hashtag"
    assert hashtag.href == "/tags/test"


def test_mobilizon_event_with_postal_address_and_links() -> None:
    activity = parse_activity(mobilizon("mobilizon-post-activity-media-2.json"))
    assert isinstance(activity, Create)
    event = activity.object
    assert isinstance(event, Event)
    assert event.name == "My first event"
    assert event.category == "TODO remove me"
    place = event.places[0]
    assert place.id == "https://event1.tcit.fr/address/eeecc11d-0030-43e8-a897-6422876372jd"
    address = place.postal_address
    assert address is not None
    assert (address.address_locality, address.postal_code) == ("Lyon", "69007")
    assert address.address_country == "France"
    links = [item.href for item in event.attachment if isinstance(item, Link)]
    assert links == ["https://something.org", "https://google.com"]
    banners = [item for item in event.attachment if isinstance(item, Document)]
    assert [item.name for item in banners] == [None, "Banner"]
    assert event.model_extra is not None
    assert event.model_extra["uuid"]


def test_mobilizon_group_event_attributed_to_group() -> None:
    activity = parse_activity(mobilizon("mobilizon-post-activity-group.json"))
    ids = ids_in(activity)
    assert ids.actor == "http://mobilizon1.com/@user"
    assert ids.attributed_to == ("http://mobilizon1.com/@group",)
    assert ids.objects == ("http://mobilizon1.com/events/f270ae07-7991-453c-9bb7-3d2122ededae",)


@pytest.mark.parametrize(
    ("name", "model"),
    [("mobilizon-join-activity.json", Join), ("mobilizon-leave-activity.json", Leave)],
)
def test_mobilizon_join_and_leave(name: str, model: type[ASObject]) -> None:
    activity = parse_activity(mobilizon(name))
    assert isinstance(activity, model)
    ids = ids_in(activity)
    assert ids.actor == "http://mobilizon2.test/@admin"
    assert ids.objects == ("http://mobilizon.test/events/some-uuid",)
    assert ids.embedded == ()
    # The Linked Data signature is kept aside, never trusted nor re-emitted (SECURITY.md row 11).
    assert activity.model_extra is not None
    assert "signature" in activity.model_extra


def test_mastodon_undo_announce_nests_the_announce() -> None:
    activity = parse_activity(mobilizon("mastodon-undo-announce.json"))
    assert isinstance(activity, Undo)
    announce = activity.object
    assert isinstance(announce, Announce)
    assert announce.actor == "https://framapiaf.org/users/Framasoft"
    assert announce.object == "https://framapiaf.org/@Framasoft/statuses/102501959686438400"
    assert announce.to == ["http://www.w3.org/ns/activitystreams#Public"]
    ids = ids_in(activity)
    assert ids.objects == (announce.id,)
    assert ids.inner_actors == (activity.actor,)


def test_mastodon_undo_follow_and_accept_follow() -> None:
    undo = parse_activity(mobilizon("mastodon-unfollow-activity.json"))
    assert isinstance(undo, Undo)
    assert isinstance(undo.object, Follow)
    assert undo.object.object == "http://localtesting.pleroma.lol/users/lain"
    accept = parse_activity(mobilizon("mastodon-accept-activity.json"))
    assert isinstance(accept, Accept)
    assert isinstance(accept.object, Follow)
    assert accept.object.actor == "http://mobilizon.test/@thomas1"


def test_mastodon_delete_variants() -> None:
    status = parse_activity(mobilizon("mastodon-delete.json"))
    assert isinstance(status, Delete)
    assert isinstance(status.object, Tombstone)
    account = parse_activity(mobilizon("mastodon-delete-user.json"))
    assert isinstance(account, Delete)
    assert isinstance(account.object, Person)
    assert ids_in(account).objects == ("https://framapiaf.org/users/admin",)


def test_mastodon_update_embeds_the_actor() -> None:
    update = parse_activity(mobilizon("mastodon-update.json"))
    assert isinstance(update, Update)
    assert isinstance(update.object, Person)
    assert update.object.name == "nextsoft"
    assert update.object.public_key[0].owner == "https://framapiaf.org/users/framasoft"


def test_mastodon_note_with_mentions_hashtags_and_replies() -> None:
    create = parse_activity(mobilizon("mastodon-post-activity-hashtag.json"))
    assert isinstance(create, Create)
    assert isinstance(create.object, Note)
    kinds = [(tag.type, tag.name) for tag in create.object.tag if isinstance(tag, Link)]
    assert kinds == [("Mention", "@tcit@framapiaf.org"), ("Hashtag", "#moo")]
    assert create.object.sensitive is True
    assert create.object.summary == "cw"
    status = parse_object(mobilizon("mastodon-status-2.json"))
    assert isinstance(status, Note)
    assert status.content_map is not None
    assert set(status.content_map) == {"fr"}


def test_pleroma_note_with_instance_litepub_context() -> None:
    note = parse_object(mobilizon("mastodon-status-3.json"))
    assert isinstance(note, Note)
    assert note.in_reply_to == "https://framapiaf.org/users/peertube/statuses/105945857653893100"
    assert note.published is not None
    assert note.published.microsecond == 759478


def test_mobilizon_members_collection() -> None:
    collection = parse_object(mobilizon("mobilizon-members-collection.json"))
    assert isinstance(collection, OrderedCollection)
    assert collection.total_items == 2
    page = collection.first
    assert isinstance(page, OrderedCollectionPage)
    assert page.part_of == "http://mobilizon.test/@demo/members"
    members = page.members()
    assert all(isinstance(member, GenericObject) for member in members)
    assert [
        m.model_extra["role"] for m in members if isinstance(m, GenericObject) and m.model_extra
    ] == [
        "administrator",
        "member",
    ]


def test_mobilizon_invite_is_a_generic_activity() -> None:
    invite = parse_activity(mobilizon("mobilizon-invite-activity.json"))
    assert isinstance(invite, GenericActivity)
    assert invite.type == "Invite"
    assert invite.object == ["http://mobilizon.test/@mygroup"]
    assert invite.target == "http://mobilizon.test/@someuser"


def test_peertube_video_keeps_its_links() -> None:
    video = parse_object(mobilizon("peertube-video.json"))
    assert isinstance(video, Document)
    assert video.type == "Video"
    assert (
        video.url_hrefs()[0]
        == "https://framatube.org/videos/watch/9c9de5e8-0a1e-484a-b099-e80766180a6d"
    )
    assert len(video.attributed_to) == 2


# Gancio's location fixtures are values of an event's `location`.
def gancio_event(location: Any) -> dict[str, Any]:
    return {
        "@context": ["https://www.w3.org/ns/activitystreams"],
        "id": "https://gancio.example/federation/m/7",
        "type": "Event",
        "name": "Atelier",
        "startTime": "2024-03-01T18:00:00+01:00",
        "location": location,
    }


def gancio_locations(name: str) -> list[Place | VirtualLocation | str]:
    event = parse_object(gancio_event(load(GANCIO / name)))
    assert isinstance(event, Event)
    return list(event.location)


def test_every_gancio_fixture_is_covered() -> None:
    covered = {
        "bad-location-without-a-name.json",
        "multiple-mixed-locations.json",
        "physical-location-no-address.json",
        "physical-location-with-postal-address.json",
        "physical-location-with-simple-string-address.json",
        "physical-location-without-id.json",
        "virtual-location.json",
    }
    assert {path.name for path in GANCIO.glob("*.json")} == covered


def test_gancio_postal_address() -> None:
    [place] = gancio_locations("physical-location-with-postal-address.json")
    assert isinstance(place, Place)
    assert isinstance(place.address, PostalAddress)
    assert place.address.address_locality == "Fediverse Town"
    assert place.address.street_address == "15 Fediverse Street"
    assert place.address_text == "15 Fediverse Street, 8010 Fediverse Town, Steiermark, Austria"


def test_gancio_text_address_is_kept() -> None:
    [place] = gancio_locations("physical-location-with-simple-string-address.json")
    assert isinstance(place, Place)
    assert place.address == "Simple string address" == place.address_text


def test_gancio_place_without_id() -> None:
    [place] = gancio_locations("physical-location-without-id.json")
    assert isinstance(place, Place)
    assert place.id is None
    assert place.name == "Location without id"


def test_gancio_place_without_address_or_name() -> None:
    [place] = gancio_locations("physical-location-no-address.json")
    assert isinstance(place, Place)
    assert place.address is None
    # Gancio refuses a nameless place; we read it and leave the decision to the caller.
    [nameless] = gancio_locations("bad-location-without-a-name.json")
    assert isinstance(nameless, Place)
    assert nameless.name is None


def test_gancio_virtual_location() -> None:
    [place] = gancio_locations("virtual-location.json")
    assert isinstance(place, Place)
    assert place.virtual_url == "https://virtual.location.org"
    event = parse_object(
        gancio_event({"type": "VirtualLocation", "url": "https://visio.example/r"})
    )
    assert isinstance(event, Event)
    assert event.online_urls == ["https://visio.example/r"]


def test_gancio_multiple_mixed_locations() -> None:
    event = parse_object(gancio_event(load(GANCIO / "multiple-mixed-locations.json")))
    assert isinstance(event, Event)
    assert [place.name for place in event.places] == [
        "Location with a name",
        "A second location with a name",
        "A Virtual location",
        "A Fallback Virtual location",
    ]
    assert event.online_urls == [
        "https://virtual.location.org",
        "https://a.second.fallback.virtual.location.org",
    ]
