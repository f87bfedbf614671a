"""HTML from users and from remote nodes, cleaned with an allow-list before it is stored or shown,
and the plain text of names and titles.

nh3 (the Rust ammonia sanitiser) keeps the tags Mastodon keeps in statuses plus lists and
headings; every attribute but links' href (http, https, mailto) is dropped, and links get
rel="nofollow noopener noreferrer".

Plain-text fields (names, titles, tags, place names, skills, link labels) are stored as the real
characters, `1 < 2 & co`, never as HTML (`1 &lt; 2 &amp; co`): every writer escapes them for its
own format (html.escape in our pages, feedgen for Atom, icalendar for .ics, nothing for JSON).

nh3 is imported by the first HTML cleaned (an event's description written or received), not when
the node starts: 1.4 MB that a node which has not handled any HTML yet does without (README,
"Benchmarks").
"""

from __future__ import annotations

import re
from html import escape, unescape

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
    import nh3

    return nh3.clean(
        html[:MAX_HTML_LENGTH],
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="nofollow noopener noreferrer",
        strip_comments=True,
    )


# C0 controls but tab and line ends, and DEL: no reader shows them, PostgreSQL refuses NUL.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def plain_text(text: str | None) -> str:
    """A received plain-text field (a name, a title, a tag, a label), as real characters.

    ActivityStreams makes `name` plain text, and Mastodon, Mobilizon, Gancio and Maillage send
    it so: `Atelier <soudure>` is text, never markup to drop. Some peers escape it all the same
    (`L&#39;atelier`), so entities are decoded once: `&amp;lt;` is the text `&lt;`, never `<`.
    Never apply it to its own result.
    """
    if not text:
        return ""
    return CONTROL_CHARACTERS.sub("", unescape(text[:MAX_HTML_LENGTH])).strip()


def html_text(html: str | None) -> str:
    """The text of a received HTML fragment (a summary, a profile field's value): its tags
    dropped and its entities decoded once."""
    if not html:
        return ""
    import nh3

    # nh3 serialises the text it keeps with only &amp; &lt; &gt; &nbsp;, which unescape reverses.
    text = unescape(nh3.clean(html[:MAX_HTML_LENGTH], tags=set()))
    return CONTROL_CHARACTERS.sub("", text).strip()


def typed_text(text: str | None) -> str:
    """A member's plain text from our API, kept as typed: `<soudure>` or `&amp;` is text there,
    with no markup to drop and nothing to decode."""
    if not text:
        return ""
    return CONTROL_CHARACTERS.sub("", text).strip()


def text_as_html(text: str) -> str:
    """A member's plain text as HTML paragraphs."""
    paragraphs = [part.strip() for part in text.replace("\r\n", "\n").split("\n\n")]
    return "".join(f"<p>{escape(part).replace(chr(10), '<br>')}</p>" for part in paragraphs if part)
