"""What every REST handler shares: reading a validated body, answering JSON, checking the role."""

from __future__ import annotations

import json
from typing import TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from schemas.errors import UntrustedJsonError
from schemas.jsontext import load_json
from schemas.untrusted import Limits, check_untrusted
from server.appkeys import SERVICES
from server.processing.sessions import account_for
from server.routes.request_guard import BodyRefused, read_body_bytes
from server.storage.accounts import Account

M = TypeVar("M", bound=BaseModel)

# The largest API body, a place profile, is a few levels deep with some hundred keys.
API_LIMITS = Limits(max_depth=16, max_items=2_000, max_string_length=65_536)


class ApiFailure(web.HTTPException):
    """Raised by a handler to answer with an error body; the status is set per instance."""

    def __init__(
        self,
        status: int,
        message: str,
        fields: dict[str, str] | None = None,
        *,
        code: str | None = None,
    ) -> None:
        self.status_code = status
        body: dict[str, object] = {"error": message, "fields": fields or {}}
        if code is not None:
            body["code"] = code
        super().__init__(text=json.dumps(body), content_type="application/json")


async def read_body(request: web.Request, model: type[M], limits: Limits = API_LIMITS) -> M:
    """The request body as `model`, or a 422 naming every failing field. `limits`: wider ones
    for a route whose model bounds a long field itself (a CSV file)."""
    try:
        body = await read_body_bytes(request)
    except BodyRefused as refused:
        raise ApiFailure(refused.status, refused.message) from None
    try:
        raw = load_json(body, max_depth=limits.max_depth, max_keys=limits.max_items)
        check_untrusted(raw, limits)
    except UntrustedJsonError as error:
        raise refused_body(error) from None
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        fields = {
            ".".join(str(part) for part in problem["loc"]) or "body": problem["msg"]
            for problem in error.errors()
        }
        raise ApiFailure(422, "invalid request", fields) from None


def refused_body(error: UntrustedJsonError) -> ApiFailure:
    """400 for a body that is not JSON; 422 naming the field for a value no field can hold."""
    where, separator, problem = error.reason.partition(": ")
    if separator and where.startswith("$") and where != "$":
        return ApiFailure(422, "invalid request", {where.removeprefix("$."): problem})
    return ApiFailure(400, f"the body must be JSON: {error.reason}")


def reply(model: BaseModel | list[BaseModel], status: int = 200) -> web.Response:
    if isinstance(model, list):
        body = "[" + ",".join(item.model_dump_json() for item in model) + "]"
    else:
        body = model.model_dump_json()
    return web.Response(text=body, status=status, content_type="application/json")


async def require_role(request: web.Request, *roles: str) -> Account:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiFailure(401, "log in first: send Authorization: Bearer <token>")
    account = await account_for(request.app[SERVICES].pool, token.strip())
    if account is None:
        raise ApiFailure(401, "the token is unknown or expired")
    if not role_allows(account, roles):
        raise ApiFailure(403, f"this needs the role {' or '.join(roles)}")
    return account


async def optional_account(request: web.Request) -> Account | None:
    """On a public route, the account of the token sent (None without one). A token that is
    unknown or expired is a 401: the caller meant to be someone, and would see what they hid."""
    if "Authorization" not in request.headers:
        return None
    return await require_role(request)


def role_allows(account: Account, roles: tuple[str, ...]) -> bool:
    """The one role rule, for the API and the pages alike: no roles named means any account."""
    return not roles or account.role in roles
