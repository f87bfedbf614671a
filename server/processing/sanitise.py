"""HTML from users and from remote nodes, cleaned with an allow-list before it is stored or shown.

nh3 (the Rust ammonia sanitiser) keeps the tags Mastodon keeps in statuses plus lists and
headings; every attribute but links' href (http, https, mailto) is dropped, and links get
rel="nofollow noopener noreferrer".
"""

from __future__ import annotations

from html import escape

import nh3

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "a", "span", "strong", "b", "em", "i", "u", "s", "del", "code", "pre",
        "blockquote", "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
MAX_HTML_LENGTH = 100_000


def clean_html(html: str | None) -> str:
    """Safe HTML from any HTML; empty for None."""
    if not html:
        return ""
    return nh3.clean(
        html[:MAX_HTML_LENGTH],
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="nofollow noopener noreferrer",
        strip_comments=True,
    )


def plain_text(html: str | None) -> str:
    """Text without any markup, for names and titles (remote peers sometimes send HTML there)."""
    if not html:
        return ""
    return nh3.clean(html[:MAX_HTML_LENGTH], tags=set()).strip()


def text_as_html(text: str) -> str:
    """A member's plain text as HTML paragraphs."""
    paragraphs = [part.strip() for part in text.replace("\r\n", "\n").split("\n\n")]
    return "".join(
        f"<p>{escape(part).replace(chr(10), '<br>')}</p>" for part in paragraphs if part
    )
