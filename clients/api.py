"""A small Python client for a node's REST API (`/api/v1`), typed with the API's own models."""

from __future__ import annotations

import json
from collections.abc import Mapping
from types import TracebackType
from typing import Any, TypeVar

import aiohttp
from pydantic import BaseModel, TypeAdapter

from schemas.api import (
    AccountIn,
    AccountOut,
    DeliveryStateOut,
    FollowRequest,
    FollowResult,
    LoginRequest,
    NeighbourOut,
    TokenResponse,
)

M = TypeVar("M", bound=BaseModel)
TIMEOUT = aiohttp.ClientTimeout(total=30)


class ApiError(Exception):
    """The node refused the request; `status`, `message` and `fields` say why."""

    def __init__(self, status: int, message: str, fields: Mapping[str, str] | None = None):
        detail = "; ".join(f"{name}: {text}" for name, text in (fields or {}).items())
        prefix = f"{status} " if status else ""
        super().__init__(prefix + message + (f" ({detail})" if detail else ""))
        self.status = status
        self.message = message
        self.fields = dict(fields or {})


class MaillageClient:
    """`async with MaillageClient(url, token=...) as client: await client.neighbours()`."""

    def __init__(self, base_url: str, *, token: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
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
        """The decoded JSON answer, or ApiError with the node's explanation."""
        if self._session is None:
            raise RuntimeError("use the client inside `async with`")
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        data = None
        if body is not None:
            data = body.model_dump_json(exclude_none=True)
            headers["Content-Type"] = "application/json"
        try:
            async with self._session.request(
                method, self.base_url + path, data=data, headers=headers
            ) as response:
                text = await response.text()
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as error:
            raise ApiError(0, f"cannot reach {self.base_url}: {error}") from None
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


def decode(text: str) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text
