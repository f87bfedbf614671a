"""`maillage`: one command line for operators (server side) and members (client side).

Each command's module is imported when that command runs (click's "lazy loading of subcommands"
pattern): `maillage serve` does not hold the member commands, their API client, the demo or the
backups in the node's memory (README, "Memory").
"""

from __future__ import annotations

import importlib

import click

# Where each command lives: its module and the command, or tuple of commands, the module exports
# (tests/test_lazy_imports.py checks this table against the modules).
_OPERATOR = ("server.cli", "OPERATOR_COMMANDS")
_BACKUP = ("server.cli_backup", "BACKUP_COMMANDS")
_DEMO = ("maillage.demo", "demo")
_MEMBER = ("clients.cli", "MEMBER_COMMANDS")
_CONTENT = ("clients.cli_content", "CONTENT_COMMANDS")
LAZY_COMMANDS: dict[str, tuple[str, str]] = {
    **dict.fromkeys(("init", "migrate", "serve", "worker"), _OPERATOR),
    **dict.fromkeys(("backup", "restore"), _BACKUP),
    "demo": _DEMO,
    **dict.fromkeys(
        (
            "agenda",
            "places",
            "people",
            "login",
            "logout",
            "whoami",
            "neighbours",
            "follow",
            "unfollow",
            "deliveries",
        ),
        _MEMBER,
    ),
    # The group of clients.cli, with the `list` subcommand clients.cli_place adds to it.
    "accounts": ("clients.cli_place", "accounts"),
    **dict.fromkeys(("events", "rsvp", "calls", "profile"), _CONTENT),
    "place": ("clients.cli_place", "PLACE_COMMANDS"),
    "moderation": ("clients.cli_moderation", "MODERATION_COMMANDS"),
    "report": ("clients.cli_reports", "REPORT_COMMANDS"),
    "trust": ("clients.cli_trust", "TRUST_COMMANDS"),
}


def exported_commands(module_name: str, attribute: str) -> dict[str, click.Command]:
    exported = getattr(importlib.import_module(module_name), attribute)
    commands = (exported,) if isinstance(exported, click.Command) else exported
    return {str(command.name): command for command in commands}


class LazyGroup(click.Group):
    """A group whose commands are imported by name when asked for (help imports them all)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands or cmd_name not in LAZY_COMMANDS:
            return super().get_command(ctx, cmd_name)
        module_name, attribute = LAZY_COMMANDS[cmd_name]
        command = exported_commands(module_name, attribute)[cmd_name]
        self.add_command(command)
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="maillage")
def main() -> None:
    """Maillage: a federated node for a network of tiers-lieux."""
