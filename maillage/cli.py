"""`maillage`: one command line for operators (server side) and members (client side)."""

from __future__ import annotations

import click

from clients import cli_approvals  # noqa: F401  (adds its commands to the groups)
from clients.cli import MEMBER_COMMANDS
from clients.cli_content import CONTENT_COMMANDS
from clients.cli_moderation import MODERATION_COMMANDS
from clients.cli_place import PLACE_COMMANDS
from clients.cli_reports import REPORT_COMMANDS
from clients.cli_trust import TRUST_COMMANDS
from maillage.demo import demo
from server.cli import OPERATOR_COMMANDS
from server.cli_backup import BACKUP_COMMANDS


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="maillage")
def main() -> None:
    """Maillage: a federated node for a network of tiers-lieux."""


for command in (
    *OPERATOR_COMMANDS,
    *BACKUP_COMMANDS,
    demo,
    *MEMBER_COMMANDS,
    *CONTENT_COMMANDS,
    *PLACE_COMMANDS,
    *MODERATION_COMMANDS,
    *REPORT_COMMANDS,
    *TRUST_COMMANDS,
):
    main.add_command(command)
