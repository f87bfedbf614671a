"""Plain-text tables and JSON for the command line's listings."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any


def render(rows: Sequence[Mapping[str, Any]], as_json: bool, empty: str) -> str:
    if as_json:
        return json.dumps(list(rows), ensure_ascii=False, indent=2, default=str)
    if not rows:
        return empty
    columns = list(rows[0])
    cells = [[str(row[column]) for column in columns] for row in rows]
    widths = [
        max(len(column), *(len(line[index]) for line in cells))
        for index, column in enumerate(columns)
    ]
    lines = [
        "  ".join(
            column.upper().ljust(width) for column, width in zip(columns, widths, strict=True)
        )
    ]
    lines += [
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in cells
    ]
    return "\n".join(lines)
