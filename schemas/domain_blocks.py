"""Mastodon's domain-block CSV, read and written (no I/O: text in, text out).

The format is Mastodon's export of its domain blocks (Moderation > Federation > Export, see
https://docs.joinmastodon.org/admin/moderation/ and Mastodon's
`app/controllers/admin/export_domain_blocks_controller.rb`, which writes and reads it): a header row
`#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate`, then one row per
domain. Severities are `suspend`, `silence` (our `limit`) and `noop` (no block: Mastodon uses it
to reject media only, which Maillage does not store, so a `noop` row imports nothing). Older
files name the columns without `#`, and a file with only a domain column blocks with `suspend`,
as Mastodon's import does.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

HEADER = (
    "#domain",
    "#severity",
    "#reject_media",
    "#reject_reports",
    "#public_comment",
    "#obfuscate",
)
# Mastodon's severity -> ours; None: nothing to apply.
FROM_MASTODON: dict[str, Literal["suspend", "limit"] | None] = {
    "suspend": "suspend",
    "silence": "limit",
    "noop": None,
}
TO_MASTODON = {"suspend": "suspend", "limit": "silence"}
MAX_ROWS = 100_000
MAX_BYTES = 10 * 1024 * 1024


class CsvError(ValueError):
    """A file that is not a domain-block CSV; the message says where and why."""


@dataclass(frozen=True)
class DomainBlockRow:
    domain: str  # as written in the file; the caller makes it canonical
    severity: Literal["suspend", "limit"] | None  # None for `noop`
    public_comment: str = ""
    line: int = 0


def parse(text: str) -> list[DomainBlockRow]:
    """The rows of a Mastodon domain-block CSV; CsvError names the first bad line."""
    if len(text.encode()) > MAX_BYTES:
        raise CsvError(f"the file exceeds {MAX_BYTES // (1024 * 1024)} MiB")
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    try:
        header = next(reader)
    except StopIteration:
        raise CsvError("the file is empty") from None
    except csv.Error as error:
        raise CsvError(f"line 1: {error}") from None
    names = [name.strip().lstrip("#").lower() for name in header]
    if "domain" not in names:
        raise CsvError("line 1: no `#domain` column (Mastodon's header starts with #domain)")
    rows: list[DomainBlockRow] = []
    try:
        for record in reader:
            if not any(field.strip() for field in record):
                continue
            if len(rows) >= MAX_ROWS:
                raise CsvError(f"more than {MAX_ROWS} rows")
            values = dict(zip(names, (field.strip() for field in record), strict=False))
            rows.append(row_of(values, reader.line_num))
    except csv.Error as error:
        raise CsvError(f"line {reader.line_num}: {error}") from None
    return rows


def row_of(values: dict[str, str], line: int) -> DomainBlockRow:
    domain = values.get("domain", "")
    if not domain:
        raise CsvError(f"line {line}: no domain")
    severity_text = (values.get("severity") or "suspend").lower()
    if severity_text not in FROM_MASTODON:
        raise CsvError(
            f"line {line}: unknown severity {severity_text[:40]!r} "
            "(Mastodon's are suspend, silence, noop)"
        )
    return DomainBlockRow(
        domain=domain,
        severity=FROM_MASTODON[severity_text],
        public_comment=values.get("public_comment", ""),
        line=line,
    )


def write(rows: Iterable[DomainBlockRow]) -> str:
    """Mastodon's export of `rows` (suspend and limit; a `noop` row is written as `noop`)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    for row in rows:
        severity = TO_MASTODON[row.severity] if row.severity else "noop"
        writer.writerow([row.domain, severity, "false", "false", row.public_comment, "false"])
    return out.getvalue()
