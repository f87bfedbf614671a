"""`maillage moderation ...`: the group every moderation command hangs on.

This module holds the group and the domain policy commands; reports and trust lists add their
own subcommands from their modules (`clients/cli_reports.py`, `clients/cli_trust.py`) with
`@moderation.command(...)` or `moderation.add_command(...)`.
"""

from __future__ import annotations

import click


@click.group()
def moderation() -> None:
    """Moderation: domain policies, the moderation log (administrators)."""


@moderation.group()
def domains() -> None:
    """What the place decided about other domains: suspend, limit, allow."""


MODERATION_COMMANDS: tuple[click.Command, ...] = (moderation,)
