"""`maillage`: one command line for operators (server side) and members (client side).

Each command's modules are imported when that command runs (click's "lazy loading of
subcommands" pattern): `maillage serve` does not hold the member commands, their API client, the
demo or the backups in the node's memory (README, "Memory").
"""

from __future__ import annotations

import importlib

import click

# The modules behind each part of the command line, each with the command, or tuple of commands,
# it exports (None: it only adds subcommands to others' groups). The member commands' modules are
# imported together, in this order, since some add subcommands to another's groups (`accounts
# list`, `moderation reports`, `events participants`...).
COMMAND_MODULES: dict[str, tuple[tuple[str, str | None], ...]] = {
    "operator": (("server.cli", "OPERATOR_COMMANDS"),),
    "backup": (("server.cli_backup", "BACKUP_COMMANDS"),),
    "demo": (("maillage.demo", "demo"),),
    "member": (
        ("clients.cli", "MEMBER_COMMANDS"),
        ("clients.cli_content", "CONTENT_COMMANDS"),
        ("clients.cli_place", "PLACE_COMMANDS"),
        ("clients.cli_moderation", "MODERATION_COMMANDS"),
        ("clients.cli_reports", "REPORT_COMMANDS"),
        ("clients.cli_trust", "TRUST_COMMANDS"),
        ("clients.cli_approvals", None),
    ),
}
# Which part each command belongs to (tests/test_lazy_imports.py checks it against the modules).
LAZY_COMMANDS: dict[str, str] = {
    **dict.fromkeys(("init", "migrate", "serve", "worker"), "operator"),
    **dict.fromkeys(("backup", "restore"), "backup"),
    "demo": "demo",
    **dict.fromkeys(
        (
            *("agenda", "places", "people", "login", "logout", "whoami", "neighbours"),
            *("follow", "unfollow", "deliveries", "accounts"),
            *("events", "rsvp", "calls", "profile", "place", "moderation", "report", "trust"),
        ),
        "member",
    ),
}


def exported_commands(part: str) -> dict[str, click.Command]:
    """Import one part's modules and return its commands by name."""
    commands: dict[str, click.Command] = {}
    for module_name, attribute in COMMAND_MODULES[part]:
        module = importlib.import_module(module_name)
        exported = () if attribute is None else getattr(module, attribute)
        for command in (exported,) if isinstance(exported, click.Command) else exported:
            commands[str(command.name)] = command
    return commands


class LazyGroup(click.Group):
    """A group whose commands are imported by name when asked for (help imports them all)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in LAZY_COMMANDS:
            for command in exported_commands(LAZY_COMMANDS[cmd_name]).values():
                self.add_command(command)
        return super().get_command(ctx, cmd_name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="maillage")
def main() -> None:
    """Maillage: a federated node for a network of tiers-lieux."""
