"""The client's calls for actor blocks and reports (kept beside `clients.api`, not in it, so
that each moderation part adds its own module)."""

from __future__ import annotations

from urllib.parse import urlencode

from clients.api import MaillageClient
from schemas.api_reports import BlockIn, BlockOut, BlockResult, ReportIn, ReportOut, ResolveIn


def blocks_path(as_me: bool) -> str:
    return "/api/v1/me/blocks" if as_me else "/api/v1/moderation/blocks"


async def blocks(client: MaillageClient, *, as_me: bool = False) -> list[BlockOut]:
    return await client.typed_list(BlockOut, "GET", blocks_path(as_me))


async def block(
    client: MaillageClient, target: str, reason: str = "", *, as_me: bool = False
) -> BlockResult:
    body = BlockIn(target=target, reason=reason)
    return await client.typed(BlockResult, "POST", blocks_path(as_me), body)


async def unblock(client: MaillageClient, target: str, *, as_me: bool = False) -> BlockResult:
    return await client.typed(BlockResult, "DELETE", blocks_path(as_me), BlockIn(target=target))


async def report(
    client: MaillageClient, target: str, comment: str = "", *, forward: bool = False
) -> ReportOut:
    body = ReportIn(target=target, comment=comment, forward=forward)
    return await client.typed(ReportOut, "POST", "/api/v1/reports", body)


async def reports(
    client: MaillageClient, state: str = "open", limit: int = 100, before: int | None = None
) -> list[ReportOut]:
    query = {"state": state, "limit": str(limit), **({"before": str(before)} if before else {})}
    return await client.typed_list(
        ReportOut, "GET", f"/api/v1/moderation/reports?{urlencode(query)}"
    )


async def report_of(client: MaillageClient, report_id: int) -> ReportOut:
    return await client.typed(ReportOut, "GET", f"/api/v1/moderation/reports/{report_id}")


async def resolve(
    client: MaillageClient, report_id: int, resolution: str, reason: str = ""
) -> ReportOut:
    body = ResolveIn.model_validate({"resolution": resolution, "reason": reason})
    path = f"/api/v1/moderation/reports/{report_id}/resolve"
    return await client.typed(ReportOut, "POST", path, body)
