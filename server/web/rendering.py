"""Rendering a page: the Jinja2 environment (autoescaped), the request's language, the headers.

Every page goes through `render`, so each one gets the same language choice, the same security
headers and the values the base layout needs (the account signed in, the CSRF token).

Jinja2 and the environment are set up by the first page rendered, not when the node starts: a node
that answers only the API and the inboxes never loads them (about 2 MB, see README "Benchmarks").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from aiohttp import web

from schemas.categories import CATEGORY_WORDS, category_words
from schemas.categories import Language as CategoryLanguage
from server.web import i18n
from server.web.errors import ERRORS
from server.web.flashes import FLASHES
from server.web.forms import KIND_NAMES, SERVICE_NAMES

if TYPE_CHECKING:
    import jinja2

# A year: the language switch is a lasting choice.
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
FLASH_COOKIE = "maillage_flash"
# Our own stylesheet and scripts only; no inline script, nothing from another site.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self' data:; "
    "script-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
# A form sending the visitor on to their own server (joining from elsewhere) is followed by a
# redirection to that server, which `form-action` also governs.
ONWARD_FORMS = SECURITY_HEADERS["Content-Security-Policy"].replace(
    "form-action 'self'", "form-action 'self' https: http:"
)
# Values a page may add to the context of every page (the account, the CSRF token...).
ContextHook = Callable[[web.Request], Mapping[str, Any]]
CONTEXT_HOOKS: list[ContextHook] = []


def setup(app: web.Application) -> None:
    """Nothing is loaded yet: the first page rendered sets the environment up."""
    app[TEMPLATES] = Templates()


class Templates:
    """The Jinja2 environment of the templates, made on first use (on the event loop: no race)."""

    def __init__(self) -> None:
        self._environment: jinja2.Environment | None = None

    def get(self, name: str) -> jinja2.Template:
        if self._environment is None:
            import jinja2

            self._environment = jinja2.Environment(
                loader=jinja2.PackageLoader("server", "templates"),
                autoescape=True,
                extensions=["jinja2.ext.i18n"],
                undefined=jinja2.StrictUndefined,
                trim_blocks=True,
                lstrip_blocks=True,
            )
            # Placeholders: each render passes the request's own translations in its context.
            self._environment.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
        return self._environment.get_template(name)


TEMPLATES = web.AppKey("templates", Templates)


def switch_url(request: web.Request, language: str) -> str:
    """This same page in another language (the query kept, `lang` replaced)."""
    kept = [(key, value) for key, value in request.query.items() if key != "lang"]
    return request.path + "?" + urlencode([*kept, ("lang", language)])


def page_context(request: web.Request, language: str) -> dict[str, Any]:
    translations = i18n.TRANSLATIONS[language]

    def gettext(message: str, **values: Any) -> str:
        text = translations.gettext(message)
        return text % values if values else text

    def ngettext(singular: str, plural: str, count: int, **values: Any) -> str:
        text = translations.ngettext(singular, plural, count)
        return text % {"num": count, **values}

    def when(moment: datetime, timezone: str | None = None) -> str:
        return i18n.format_when(moment, timezone, language)

    def day(moment: datetime, timezone: str | None = None) -> str:
        return i18n.format_day(moment, timezone, language)

    def day_name(index: int) -> str:
        """Monday is 0, as in Python and Babel."""
        from babel.dates import get_day_names

        return str(get_day_names("wide", locale=language)[index])

    def number(value: float, digits: int = 1) -> str:
        return i18n.format_number(value, language, digits)

    words_language: CategoryLanguage = "fr" if language == "fr" else "en"

    context: dict[str, Any] = {
        "lang": language,
        "other_languages": [
            (code, switch_url(request, code)) for code in i18n.LANGUAGES if code != language
        ],
        "gettext": gettext,
        "_": gettext,
        "ngettext": ngettext,
        "when": when,
        "day": day,
        "number": number,
        "day_name": day_name,
        "service_name": lambda value: (
            gettext(SERVICE_NAMES[value]) if value in SERVICE_NAMES else value
        ),
        "kind_name": lambda value: gettext(KIND_NAMES[value]) if value in KIND_NAMES else value,
        "category_name": lambda code: category_words(code, words_language),
        "categories": sorted(
            ((code, category_words(code, words_language)) for code in CATEGORY_WORDS),
            key=lambda pair: pair[1].casefold(),
        ),
        # French puts a (no-break) space before a colon.
        "colon": "\u00a0:" if language == "fr" else ":",
        "request_path": request.path,
        "account": None,
        "csrf_token": "",
        "flashes": [],
        "alerts": [],
    }
    flash = request.cookies.get(FLASH_COOKIE)
    if flash in FLASHES:
        context["flashes"] = [gettext(FLASHES[flash])]
    elif flash in ERRORS:  # a refusal from processing, named by its code
        context["alerts"] = [gettext(ERRORS[flash])]
    for hook in CONTEXT_HOOKS:
        context.update(hook(request))
    return context


def render(
    request: web.Request,
    template: str,
    values: Mapping[str, Any],
    *,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
    language: str | None = None,
) -> web.Response:
    language = language or i18n.language_of(request)
    context = page_context(request, language) | dict(values)
    page = request.app[TEMPLATES].get(template).render(context)
    response = web.Response(text=page, status=status, content_type="text/html", charset="utf-8")
    response.headers.update(SECURITY_HEADERS)
    response.headers["Content-Language"] = language
    response.headers.update(headers or {})
    if FLASH_COOKIE in request.cookies:
        response.del_cookie(FLASH_COOKIE, path="/")
    if i18n.asked_language(request) is not None:
        response.set_cookie(
            i18n.LANGUAGE_COOKIE,
            language,
            max_age=LANGUAGE_COOKIE_AGE,
            httponly=True,
            samesite="Lax",
            path="/",
        )
    return response
