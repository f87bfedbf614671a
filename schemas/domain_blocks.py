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

from schemas.untrusted import MAX_REQUEST_BYTES

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
# Half the request cap: a file just over this still arrives whole, as a form or as JSON (whose
# escaping may grow it), and is refused with `csv-too-large` rather than a bare 413.
MAX_BYTES = MAX_REQUEST_BYTES // 2


class CsvError(ValueError):
    """A file that is not a domain-block CSV. `code` names why for every language (the pages
    translate it), `line` where (0: the file as a whole); the message says both in English."""

    def __init__(self, code: str, message: str, line: int = 0) -> None:
        super().__init__(f"line {line}: {message}" if line else message)
        self.code = code
        self.line = line


@dataclass(frozen=True)
class DomainBlockRow:
    domain: str  # as written in the file; the caller makes it canonical
    severity: Literal["suspend", "limit"] | None  # None for `noop`
    public_comment: str = ""
    line: int = 0


def parse(text: str) -> list[DomainBlockRow]:
    """The rows of a Mastodon domain-block CSV; CsvError names the first bad line."""
    if len(text.encode()) > MAX_BYTES:
        raise CsvError("csv-too-large", f"the file exceeds {MAX_BYTES} bytes")
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    try:
        header = next(reader)
    except StopIteration:
        raise CsvError("csv-empty", "the file is empty") from None
    except csv.Error as error:
        raise CsvError("csv-unreadable", str(error), 1) from None
    names = [name.strip().lstrip("#").lower() for name in header]
    if "domain" not in names:
        raise CsvError(
            "csv-no-domain-column",
            "no `#domain` column (Mastodon's header starts with #domain)",
            1,
        )
    rows: list[DomainBlockRow] = []
    try:
        for record in reader:
            if not any(field.strip() for field in record):
                continue
            if len(rows) >= MAX_ROWS:
                raise CsvError("csv-too-many-rows", f"more than {MAX_ROWS} rows")
            values = dict(zip(names, (field.strip() for field in record), strict=False))
            rows.append(row_of(values, reader.line_num))
    except csv.Error as error:
        raise CsvError("csv-unreadable", str(error), reader.line_num) from None
    return rows


def row_of(values: dict[str, str], line: int) -> DomainBlockRow:
    domain = values.get("domain", "")
    if not domain:
        raise CsvError("csv-no-domain", "no domain", line)
    severity_text = (values.get("severity") or "suspend").lower()
    if severity_text not in FROM_MASTODON:
        raise CsvError(
            "csv-unknown-severity",
            f"unknown severity {severity_text[:40]!r} (Mastodon's are suspend, silence, noop)",
            line,
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
