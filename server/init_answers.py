"""What `maillage init` needs from a person: given as options, asked for in a terminal, or named
as missing when there is no terminal (a script, a container, CI)."""

from __future__ import annotations

from dataclasses import dataclass, fields

import click


class MissingAnswers(Exception):
    """init ran without a terminal and without some of what it needs."""


# (attribute, question, how a script gives it)
QUESTIONS = {
    "domain": ("Public domain of the node (e.g. mende.example.org)", "--domain"),
    "place_name": ("Name of the place", "--name"),
    "admin_username": ("Administrator's username", "--admin-username"),
    "admin_email": ("Administrator's email", "--admin-email"),
    "admin_password": (
        "Administrator's password",
        "--admin-password-file or MAILLAGE_ADMIN_PASSWORD",
    ),
}


@dataclass
class InitAnswers:
    domain: str | None
    place_name: str | None
    admin_username: str | None
    admin_email: str | None
    admin_password: str | None

    def complete(self, *, interactive: bool) -> None:
        """Ask for what is missing, or raise MissingAnswers naming all of it at once."""
        missing = [field.name for field in fields(self) if not getattr(self, field.name)]
        if not missing:
            return
        if not interactive:
            wanted = ", ".join(QUESTIONS[name][1] for name in missing)
            raise MissingAnswers(f"no terminal to ask in; give {wanted}")
        for name in missing:
            question = QUESTIONS[name][0]
            secret = name == "admin_password"
            answer = click.prompt(question, hide_input=secret, confirmation_prompt=secret)
            setattr(self, name, str(answer))
