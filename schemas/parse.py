"""Reading untrusted remote JSON into models: guard, normalise, validate, one error type.

Every entry point raises `SchemaError` (or its kind `UntrustedJsonError`) and nothing else, so a
caller answers one 4xx for any bad document and never a 500 (SECURITY.md rows 11 and 15).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, TypeVar

from pydantic import BaseModel, ValidationError

from schemas.activitystreams import (
    ACTIVITY_MODELS,
    ACTOR_MODELS,
    ANY_OBJECT,
    Activity,
    Actor,
    AnyRef,
    ASObject,
    Flag,
    GenericActivity,
    SingleObjectActivity,
)
from schemas.errors import SchemaError
from schemas.normalise import normalise_document
from schemas.untrusted import DEFAULT_LIMITS, Limits, check_untrusted
from schemas.vocab import ACTIVITY_TYPES, KNOWN_TYPE_NAMES

_MAX_REPORTED_ERRORS: Final = 8
M = TypeVar("M", bound=BaseModel)


def prepare(raw: object, limits: Limits = DEFAULT_LIMITS) -> dict[str, Any]:
    """Guard then normalise a remote document; the first step of every parse function."""
    if not isinstance(raw, dict):
        raise SchemaError(f"a document must be a JSON object, not {_json_kind(raw)}")
    check_untrusted(raw, limits)
    return normalise_document(raw)


def parse_activity(raw: object, limits: Limits = DEFAULT_LIMITS) -> Activity:
    """An activity received in an inbox or fetched; unknown verbs give a GenericActivity."""
    document = prepare(raw, limits)
    kind = _type_of(document)
    model = ACTIVITY_MODELS.get(kind)
    if model is None:
        if kind in KNOWN_TYPE_NAMES and kind not in ACTIVITY_TYPES:
            raise SchemaError(f"type: {kind} is an object, not an activity")
        model = GenericActivity
    return _validate(model, document, kind)


def parse_actor(raw: object, limits: Limits = DEFAULT_LIMITS) -> Actor:
    """An actor document; it must have an id and an inbox to be one we can federate with."""
    document = prepare(raw, limits)
    kind = _type_of(document)
    model = ACTOR_MODELS.get(kind)
    if model is None:
        raise SchemaError(f"type: {kind} is not an actor type")
    actor = _validate(model, document, kind)
    missing = [name for name in ("id", "inbox") if getattr(actor, name) is None]
    if missing:
        raise SchemaError(
            f"{kind}: invalid fields: " + "; ".join(f"{m}: required" for m in missing)
        )
    return actor


def parse_object(raw: object, limits: Limits = DEFAULT_LIMITS) -> ASObject:
    """Any object (fetched by id, or embedded): the matching model, or a GenericObject."""
    document = prepare(raw, limits)
    kind = document.get("type")
    label = kind if isinstance(kind, str) else "object"
    try:
        result: ASObject = ANY_OBJECT.validate_python(document)
    except ValidationError as error:
        raise SchemaError(_describe(label, error)) from None
    except (ValueError, TypeError) as error:
        raise SchemaError(f"{label}: {error}") from None
    return result


@dataclass(frozen=True, slots=True)
class ActivityIds:
    """The identifiers an origin check compares (SECURITY.md row 9).

    `objects` are the ids of the activity's objects, referenced or embedded; `embedded` the
    embedded copies themselves; `attributed_to` and `inner_actors` come from those copies.
    """

    activity: str | None
    actor: str
    objects: tuple[str, ...]
    embedded: tuple[ASObject, ...]
    attributed_to: tuple[str, ...]
    inner_actors: tuple[str, ...]


def objects_of(activity: Activity) -> list[AnyRef]:
    """The activity's objects, as a list whatever the verb."""
    if isinstance(activity, SingleObjectActivity):
        return [activity.object]
    if isinstance(activity, Flag | GenericActivity):
        return list(activity.object)
    return []


def ref_id(ref: AnyRef) -> str | None:
    """The IRI a reference names: the string itself, or an embedded object's id."""
    return ref if isinstance(ref, str) else ref.id


def ids_in(activity: Activity) -> ActivityIds:
    objects: list[str] = []
    embedded: list[ASObject] = []
    attributed: list[str] = []
    inner_actors: list[str] = []
    for ref in objects_of(activity):
        identifier = ref_id(ref)
        if identifier is not None:
            objects.append(identifier)
        if not isinstance(ref, str):
            embedded.append(ref)
            attributed.extend(ref.attributed_to)
            if isinstance(ref, Activity):
                inner_actors.append(ref.actor)
    return ActivityIds(
        activity=activity.id,
        actor=activity.actor,
        objects=tuple(objects),
        embedded=tuple(embedded),
        attributed_to=tuple(attributed),
        inner_actors=tuple(inner_actors),
    )


def _validate(model: type[M], document: dict[str, Any], label: str) -> M:
    try:
        return model.model_validate(document)
    except ValidationError as error:
        raise SchemaError(_describe(label, error)) from None
    except (ValueError, TypeError) as error:
        raise SchemaError(f"{label}: {error}") from None


def _type_of(document: dict[str, Any]) -> str:
    kind = document.get("type")
    if not isinstance(kind, str) or not kind:
        raise SchemaError("type: missing or not a string")
    return kind


def _describe(label: str, error: ValidationError) -> str:
    """`Event: invalid fields: startTime: Field required; location.0.latitude: ...`."""
    problems = []
    for detail in error.errors(include_url=False)[:_MAX_REPORTED_ERRORS]:
        location = list(detail["loc"])
        # Union dispatch puts the chosen model's tag first; the label already says it.
        if location and location[0] == label:
            location = location[1:]
        where = ".".join(str(part) for part in location) or "(document)"
        problems.append(f"{where}: {detail['msg']}")
    more = error.error_count() - len(problems)
    suffix = f"; and {more} more" if more > 0 else ""
    return f"{label}: invalid fields: " + "; ".join(problems) + suffix


def _json_kind(value: object) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if value is None:
        return "null"
    return type(value).__name__
