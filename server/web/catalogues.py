"""Keeping the translation catalogues in step with the templates.

`python -m server.web.catalogues` extracts every message of the templates and of server/web and
merges them into server/locale/<language>/LC_MESSAGES/messages.po (new ones untranslated, gone
ones marked obsolete); then translate the new entries of the French catalogue.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from server.web.i18n import LANGUAGES

SERVER = Path(__file__).resolve().parent.parent
JINJA_OPTIONS = {"**.html": {"extensions": "jinja2.ext.i18n"}}


def extracted() -> Catalog:
    """Every message the pages can show, with where it is used."""
    template = Catalog(project="maillage")
    sources: tuple[tuple[Path, list[tuple[str, str]], dict[str, dict[str, str]], str], ...] = (
        (SERVER / "templates", [("**.html", "jinja2")], JINJA_OPTIONS, "server/templates/"),
        (SERVER / "web", [("**.py", "python")], {}, "server/web/"),
    )
    for directory, method_map, options, prefix in sources:
        for filename, line, message, _comments, context in extract_from_dir(
            directory, method_map=method_map, options_map=options
        ):
            template.add(message, locations=[(prefix + filename, line)], context=context)
    return template


def catalogue_path(language: str) -> Path:
    return SERVER / "locale" / language / "LC_MESSAGES" / "messages.po"


def update_catalogues() -> None:
    template = extracted()
    for language in LANGUAGES:
        path = catalogue_path(language)
        if path.exists():
            with path.open("rb") as source:
                catalogue = read_po(source, locale=language)
        else:
            catalogue = Catalog(locale=language, project="maillage")
        catalogue.update(template, no_fuzzy_matching=True)
        with path.open("wb") as target:
            write_po(target, catalogue, width=100, omit_header=False)


if __name__ == "__main__":
    update_catalogues()
