"""Remote and user HTML keeps its structure and loses everything that could run or track."""

from __future__ import annotations

import pytest

from server.processing.sanitise import clean_html, plain_text, text_as_html


@pytest.mark.parametrize(
    ("dirty", "clean"),
    [
        ("<p>Atelier <strong>soudure</strong></p>", "<p>Atelier <strong>soudure</strong></p>"),
        ("<script>alert(1)</script><p>x</p>", "<p>x</p>"),
        ('<p onclick="steal()">x</p>', "<p>x</p>"),
        ('<a href="javascript:alert(1)">x</a>', '<a rel="nofollow noopener noreferrer">x</a>'),
        (
            '<a href="https://florac.example/e/1" style="x">y</a>',
            '<a href="https://florac.example/e/1" rel="nofollow noopener noreferrer">y</a>',
        ),
        ('<img src="https://tracker.example/p.gif">', ""),
        ("<iframe src='https://evil.example'></iframe>ok", "ok"),
        ("<!-- hidden --><p>x</p>", "<p>x</p>"),
    ],
)
def test_clean_html(dirty: str, clean: str) -> None:
    assert clean_html(dirty) == clean


def test_plain_text_drops_every_tag() -> None:
    assert plain_text("<b>Fablab</b> <script>x</script>de Florac") == "Fablab de Florac"
    assert plain_text(None) == ""


def test_text_becomes_escaped_paragraphs() -> None:
    assert text_as_html("a < b\nc\n\nd") == "<p>a &lt; b<br>c</p><p>d</p>"
