"""OrderedCollection and OrderedCollectionPage documents, paged by number."""

from __future__ import annotations

from typing import Any

PAGE_SIZE = 20
AS_CONTEXT = "https://www.w3.org/ns/activitystreams"


def collection(uri: str, total: int) -> dict[str, Any]:
    document: dict[str, Any] = {
        "@context": AS_CONTEXT,
        "id": uri,
        "type": "OrderedCollection",
        "totalItems": total,
    }
    if total:
        document["first"] = f"{uri}?page=1"
        document["last"] = f"{uri}?page={last_page(total)}"
    return document


def collection_page(uri: str, page: int, total: int, items: list[Any]) -> dict[str, Any]:
    document: dict[str, Any] = {
        "@context": AS_CONTEXT,
        "id": f"{uri}?page={page}",
        "type": "OrderedCollectionPage",
        "partOf": uri,
        "totalItems": total,
        "orderedItems": items,
    }
    if page > 1:
        document["prev"] = f"{uri}?page={page - 1}"
    if page < last_page(total):
        document["next"] = f"{uri}?page={page + 1}"
    return document


def last_page(total: int) -> int:
    return max(1, -(-total // PAGE_SIZE))
