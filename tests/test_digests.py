"""Digest (RFC 3230) and Content-Digest (RFC 9530) headers against raw body bytes."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from federation.digests import (
    DigestError,
    make_content_digest,
    make_digest,
    verify_content_digest,
    verify_digest,
)

# The body of draft-cavage-http-signatures-12 Appendix C and of RFC 9421's test-request.
BODY = b'{"hello": "world"}'
# draft-cavage-http-signatures-12 Appendix C, the Digest header of the test request.
CAVAGE_DIGEST = "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE="
# RFC 9421 section 2.1 / Appendix B.2: Content-Digest of the test-request body.
SHA512_CONTENT_DIGEST = (
    "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew"
    "==:"
)


def test_make_digest_matches_the_cavage_test_request() -> None:
    assert make_digest(BODY) == CAVAGE_DIGEST


def test_make_content_digest_sha256_and_sha512() -> None:
    assert make_content_digest(BODY) == "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:"
    assert make_content_digest(BODY, "sha-512") == SHA512_CONTENT_DIGEST


def test_make_content_digest_refuses_unknown_algorithm() -> None:
    with pytest.raises(ValueError, match="unsupported"):
        make_content_digest(BODY, "md5")


@pytest.mark.parametrize(
    "header",
    [
        CAVAGE_DIGEST,
        "sha-256=" + CAVAGE_DIGEST[8:],
        f"MD5=Sd/dVLAcvNLSq16eXua5uQ==, {CAVAGE_DIGEST}",
        "SHA-512=WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==",
    ],
)
def test_verify_digest_accepts(header: str) -> None:
    verify_digest(header, BODY)


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (CAVAGE_DIGEST, "digest mismatch"),
        ("MD5=Sd/dVLAcvNLSq16eXua5uQ==", "no supported digest algorithm"),
        ("SHA-256", "malformed digest"),
        ("SHA-256=not base64!", "malformed digest"),
        ("", "malformed digest"),
    ],
)
def test_verify_digest_rejects(header: str, reason: str) -> None:
    with pytest.raises(DigestError) as caught:
        verify_digest(header, b'{"hello": "world!"}' if reason == "digest mismatch" else BODY)
    assert caught.value.reason == reason


def test_every_known_digest_must_match() -> None:
    wrong_sha512 = "SHA-512=" + "A" * 86 + "=="
    with pytest.raises(DigestError, match="digest mismatch"):
        verify_digest(f"{CAVAGE_DIGEST},{wrong_sha512}", BODY)


@pytest.mark.parametrize(
    "header",
    [
        make_content_digest(BODY),
        SHA512_CONTENT_DIGEST,
        f"unknown=:AAAA:, {SHA512_CONTENT_DIGEST}",
        f"{make_content_digest(BODY)};note=1",
    ],
)
def test_verify_content_digest_accepts(header: str) -> None:
    verify_content_digest(header, BODY)


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ("sha-256=:AAAA:", "digest mismatch"),
        ("md5=:Sd/dVLAcvNLSq16eXua5uQ==:", "no supported digest algorithm"),
        ('sha-256="X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE="', "malformed digest"),
        ("sha-256=:X48E9q", "malformed digest"),
        ("SHA-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:", "malformed digest"),
        ("", "no supported digest algorithm"),
    ],
)
def test_verify_content_digest_rejects(header: str, reason: str) -> None:
    with pytest.raises(DigestError) as caught:
        verify_content_digest(header, BODY)
    assert caught.value.reason == reason


@given(st.text(max_size=200), st.binary(max_size=64))
def test_any_digest_header_ends_as_digest_error_or_passes(header: str, body: bytes) -> None:
    for check in (verify_digest, verify_content_digest):
        with contextlib.suppress(DigestError):
            check(header, body)


@given(st.binary(max_size=256))
def test_made_digests_verify(body: bytes) -> None:
    verify_digest(make_digest(body), body)
    verify_content_digest(make_content_digest(body), body)
    verify_content_digest(make_content_digest(body, "sha-512"), body)
