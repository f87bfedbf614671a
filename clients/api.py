"""A small Python client for a node's REST API (`/api/v1`), typed with the API's own models."""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

import aiohttp
from pydantic import BaseModel, TypeAdapter

from schemas.api import (
    AccountIn,
    AccountOut,
    DeliveryRetryOut,
    DeliveryStateOut,
    FollowRequest,
    FollowResult,
    LoginRequest,
    NeighbourOut,
    TokenResponse,
)
from schemas.api_agenda import AgendaPage
from schemas.api_directory import PeopleQuery, PersonOut, PlaceOut, PlacesQuery

M = TypeVar("M", bound=BaseModel)


def query_string(query: BaseModel) -> str:
    """`?name=value&...` of the fields set to other than their defaults."""
    parameters: dict[str, str] = {}
    for name, value in query.model_dump(mode="json", exclude_defaults=True).items():
        if isinstance(value, list):
            value = ",".join(str(item) for item in value)
        elif isinstance(value, bool):
            value = "true" if value else "false"
        parameters[name] = str(value)
    return "?" + urlencode(parameters) if parameters else ""


TIMEOUT = aiohttp.ClientTimeout(total=30)
SAFE_TO_REPEAT = frozenset({"GET", "HEAD", "PUT", "DELETE"})
RETRIED_STATUSES = frozenset({502, 503, 504})
IN_PROGRESS = 409  # with an Idempotency-Key: the first attempt is still being answered
RETRY_MAX_WAIT = 10.0


def backoff(attempt: int) -> float:
    """0.5 s, 1 s, 2 s ... with jitter, for a failure that said nothing of when to come back."""
    ceiling: float = min(RETRY_MAX_WAIT, 0.5 * 2 ** (attempt - 1))
    return ceiling * random.uniform(0.8, 1.2)  # noqa: S311 - jitter, not security


class ApiError(Exception):
    """The node refused the request; `status`, `message` and `fields` say why."""

    def __init__(self, status: int, message: str, fields: Mapping[str, str] | None = None):
        # Said once: a field's problem already in the message is not repeated after it.
        detail = "; ".join(
            f"{name}: {text}" for name, text in (fields or {}).items() if text not in message
        )
        prefix = f"{status} " if status else ""
        super().__init__(prefix + message + (f" ({detail})" if detail else ""))
        self.status = status
        self.message = message
        self.fields = dict(fields or {})


class MaillageClient:
    """`async with MaillageClient(url, token=...) as client: await client.neighbours()`."""

    def __init__(self, base_url: str, *, token: str | None = None, attempts: int = 4) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.attempts = max(1, attempts)
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> MaillageClient:
        self._session = aiohttp.ClientSession(timeout=TIMEOUT)
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def request(self, method: str, path: str, body: BaseModel | None = None) -> Any:
        """The decoded JSON answer, or ApiError with the node's explanation.

        A request that cannot have done anything twice (a read, a PUT or DELETE, a logged-in
        POST with its Idempotency-Key) is sent again when the connection fails or the node
        answers 502/503/504 (after its Retry-After, at most RETRY_MAX_WAIT seconds), up to
        `attempts` times in all. A POST keeps the same key on every attempt, so that a
        creation whose answer was lost is not made twice.
        """
        if self._session is None:
            raise RuntimeError("use the client inside `async with`")
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
            if method == "POST":
                headers["Idempotency-Key"] = str(uuid.uuid4())
        data = None
        if body is not None:
            # A PATCH sends what was set, nulls included (they clear); other bodies omit nulls.
            if method == "PATCH":
                data = body.model_dump_json(exclude_unset=True)
            else:
                data = body.model_dump_json(exclude_none=True)
            headers["Content-Type"] = "application/json"
        retry = method in SAFE_TO_REPEAT or "Idempotency-Key" in headers
        attempt = 0
        while True:
            attempt += 1
            last = not retry or attempt >= self.attempts
            try:
                async with self._session.request(
                    method, self.base_url + path, data=data, headers=headers
                ) as response:
                    text = await response.text()
                    status = response.status
                    retry_after = response.headers.get("Retry-After", "")
            except (aiohttp.ClientError, TimeoutError) as error:
                if last:
                    raise ApiError(0, f"cannot reach {self.base_url}: {error}") from None
                await asyncio.sleep(backoff(attempt))
                continue
            in_progress = status == IN_PROGRESS and retry_after and "Idempotency-Key" in headers
            if (status in RETRIED_STATUSES or in_progress) and not last:
                wait = float(retry_after) if retry_after.isdigit() else backoff(attempt)
                await asyncio.sleep(min(wait, RETRY_MAX_WAIT))
                continue
            break
        decoded = decode(text)
        if status >= 400:
            if isinstance(decoded, dict):
                raise ApiError(status, str(decoded.get("error", text)), decoded.get("fields"))
            raise ApiError(status, text.strip()[:200])
        return decoded

    async def typed(
        self, model: type[M], method: str, path: str, body: BaseModel | None = None
    ) -> M:
        return model.model_validate(await self.request(method, path, body))

    async def typed_list(
        self, model: type[M], method: str, path: str, body: BaseModel | None = None
    ) -> list[M]:
        return TypeAdapter(list[model]).validate_python(  # type: ignore[valid-type]
            await self.request(method, path, body)
        )

    async def log_in(self, username: str, password: str) -> TokenResponse:
        answer = await self.typed(
            TokenResponse,
            "POST",
            "/api/v1/auth/login",
            LoginRequest(username=username, password=password),
        )
        self.token = answer.token
        return answer

    async def me(self) -> AccountOut:
        return await self.typed(AccountOut, "GET", "/api/v1/me")

    async def create_account(self, account: AccountIn) -> AccountOut:
        return await self.typed(AccountOut, "POST", "/api/v1/accounts", account)

    async def places(self, query: PlacesQuery | None = None) -> list[PlaceOut]:
        """The directory of places (public)."""
        path = "/api/v1/places" + query_string(query or PlacesQuery())
        return await self.typed_list(PlaceOut, "GET", path)

    async def people(self, query: PeopleQuery | None = None) -> list[PersonOut]:
        """Network-shared profiles by skill or text (public)."""
        path = "/api/v1/people" + query_string(query or PeopleQuery())
        return await self.typed_list(PersonOut, "GET", path)

    async def neighbours(self) -> list[NeighbourOut]:
        return await self.typed_list(NeighbourOut, "GET", "/api/v1/neighbours")

    async def follow(self, target: str) -> FollowResult:
        return await self.typed(
            FollowResult, "POST", "/api/v1/neighbours", FollowRequest(target=target)
        )

    async def unfollow(self, target: str) -> FollowResult:
        return await self.typed(
            FollowResult, "DELETE", "/api/v1/neighbours", FollowRequest(target=target)
        )

    async def follow_as_me(self, target: str) -> FollowResult:
        return await self.typed(
            FollowResult, "POST", "/api/v1/me/follows", FollowRequest(target=target)
        )

    async def unfollow_as_me(self, target: str) -> FollowResult:
        return await self.typed(
            FollowResult, "DELETE", "/api/v1/me/follows", FollowRequest(target=target)
        )

    async def deliveries(self) -> list[DeliveryStateOut]:
        return await self.typed_list(DeliveryStateOut, "GET", "/api/v1/deliveries")

    async def retry_deliveries(self, host: str) -> DeliveryRetryOut:
        path = f"/api/v1/deliveries/{quote(host, safe='')}/retry"
        return await self.typed(DeliveryRetryOut, "POST", path)

    async def agenda(self, **filters: str | float | bool | Sequence[str] | None) -> AgendaPage:
        """The consolidated agenda; filters are the query parameters of GET /api/v1/agenda
        (`start` and `end` stand for `from` and `to`; a list of tags is sent comma-separated)."""
        names = {"start": "from", "end": "to"}
        query: dict[str, str] = {}
        for name, value in filters.items():
            if value is None or value is False or value == []:
                continue
            if isinstance(value, bool):
                text = "true"
            elif isinstance(value, str | int | float):
                text = str(value)
            else:
                text = ",".join(value)
            query[names.get(name, name)] = text
        suffix = f"?{urlencode(query)}" if query else ""
        return await self.typed(AgendaPage, "GET", f"/api/v1/agenda{suffix}")


def decode(text: str) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text
