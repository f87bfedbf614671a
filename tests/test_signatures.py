"""HTTP signatures: the published vectors, round trips, every rejection rule, and fuzzing.

Vectors come from RFC 9421 Appendix B (keys in tests/fixtures/interop/vectors/rfc9421-keys) and
draft-cavage-http-signatures-12 Appendix C (its RSA test key is printed in the draft and below).
"""

from __future__ import annotations

import base64
import contextlib
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from federation.keys import (
    PrivateKey,
    PublicKey,
    generate_ed25519_key,
    generate_rsa_key,
    private_key_from_pem,
    public_key_from_pem,
    public_key_to_pem,
)
from federation.signatures import (
    Scheme,
    SignatureError,
    VerifiedSignature,
    algorithms,
    cavage,
    prepare_verification,
    rfc9421,
    signed_request_headers,
    verify_request,
    verify_request_sync,
)
from federation.signatures.message import Message
from federation.signatures.structured_fields import (
    InnerList,
    StructuredFieldError,
    parse_dictionary,
    serialize_inner_list,
)
from tests.support import INTEROP

RFC9421_KEYS = INTEROP / "vectors" / "rfc9421-keys"


def rfc9421_key(name: str) -> PublicKey:
    return public_key_from_pem((RFC9421_KEYS / f"{name}.pem").read_text())


def rfc9421_private_key(name: str) -> PrivateKey:
    return private_key_from_pem((RFC9421_KEYS / f"{name}.key").read_text())


# ---------------------------------------------------------------------------------------------
# RFC 9421 Appendix B.2: the test-request and test-response of section B.2, and the signatures.

B2_BODY = b'{"hello": "world"}'
B2_URL = "https://example.com/foo?param=Value&Pet=dog"
B2_CREATED = datetime.fromtimestamp(1618884473, UTC)
B2_REQUEST_HEADERS = [
    ("Host", "example.com"),
    ("Date", "Tue, 20 Apr 2021 02:07:55 GMT"),
    ("Content-Type", "application/json"),
    (
        "Content-Digest",
        "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRw"
        "EmTHWXvJwew==:",
    ),
    ("Content-Length", "18"),
]
B2_RESPONSE_HEADERS = [
    ("Date", "Tue, 20 Apr 2021 02:07:56 GMT"),
    ("Content-Type", "application/json"),
    (
        "Content-Digest",
        "sha-512=:mEWXIS7MaLRuGgxOBdODa3xqM1XdEvxoYhvlCFJ41QJgJc4GTsPp29l5oGX69wWdXymyU0rjJuah"
        "q4l5aGgfLQ==:",
    ),
    ("Content-Length", "23"),
]

B2_VECTORS: dict[str, tuple[str, str, str, str]] = {
    # label: (key, Signature-Input, Signature, expected signature base)
    "sig-b21": (
        "test-key-rsa-pss",
        'sig-b21=();created=1618884473;keyid="test-key-rsa-pss";nonce="b3k2pp5k7z-50gnwp.yemd"',
        "sig-b21=:d2pmTvmbncD3xQm8E9ZV2828BjQWGgiwAaw5bAkgibUopemLJcWDy/lkbbHAve4cRAtx31Iq786U7it"
        "++wgGxbtRxf8Udx7zFZsckzXaJMkA7ChG52eSkFxykJeNqsrWH5S+oxNFlD4dzVuwe8DhTSja8xxbR/Z2cOGdCbz"
        "R72rgFWhzx2VjBqJzsPLMIQKhO4DGezXehhWwE56YCE+O6c0mKZsfxVrogUvA4HELjVKWmAvtl6UnCh8jYzuVG5"
        "WSb/QEVPnP5TmcAnLH1g+s++v6d4s8m0gCw1fV5/SITLq9mhho8K3+7EPYTU8IU1bLhdxO5Nyt8C8ssinQ98Xw9Q"
        "==:",
        '"@signature-params": ();created=1618884473;keyid="test-key-rsa-pss"'
        ';nonce="b3k2pp5k7z-50gnwp.yemd"',
    ),
    "sig-b22": (
        "test-key-rsa-pss",
        'sig-b22=("@authority" "content-digest" "@query-param";name="Pet")'
        ';created=1618884473;keyid="test-key-rsa-pss";tag="header-example"',
        "sig-b22=:LjbtqUbfmvjj5C5kr1Ugj4PmLYvx9wVjZvD9GsTT4F7GrcQEdJzgI9qHxICagShLRiLMlAJjtq6N4CD"
        "fKtjvuJyE5qH7KT8UCMkSowOB4+ECxCmT8rtAmj/0PIXxi0A0nxKyB09RNrCQibbUjsLS/2YyFYXEu4TRJQzRw1r"
        "LEuEfY17SARYhpTlaqwZVtR8NV7+4UKkjqpcAoFqWFQh62s7Cl+H2fjBSpqfZUJcsIk4N6wiKYd4je2U/lankenQ"
        "99PZfB4jY3I5rSV2DSBVkSFsURIjYErOs0tFTQosMTAoxk//0RoKUqiYY8Bh0aaUEb0rQl3/XaVe4bXTugEjHSw=="
        ":",
        '"@authority": example.com\n'
        '"content-digest": sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu'
        "7BNNyealdVLvRwEmTHWXvJwew==:\n"
        '"@query-param";name="Pet": dog\n'
        '"@signature-params": ("@authority" "content-digest" "@query-param";name="Pet")'
        ';created=1618884473;keyid="test-key-rsa-pss";tag="header-example"',
    ),
    "sig-b23": (
        "test-key-rsa-pss",
        'sig-b23=("date" "@method" "@path" "@query" "@authority" "content-type" "content-digest"'
        ' "content-length");created=1618884473;keyid="test-key-rsa-pss"',
        "sig-b23=:bbN8oArOxYoyylQQUU6QYwrTuaxLwjAC9fbY2F6SVWvh0yBiMIRGOnMYwZ/5MR6fb0Kh1rIRASVxFkeG"
        "t683+qRpRRU5p2voTp768ZrCUb38K0fUxN0O0iC59DzYx8DFll5GmydPxSmme9v6ULbMFkl+V5B1TP/yPViV7KsL"
        "NmvKiLJH1pFkh/aYA2HXXZzNBXmIkoQoLd7YfW91kE9o/CCoC1xMy7JA1ipwvKvfrs65ldmlu9bpG6A9BmzhuzF8"
        "Eim5f8ui9eH8LZH896+QIF61ka39VBrohr9iyMUJpvRX2Zbhl5ZJzSRxpJyoEZAFL2FUo5fTIztsDZKEgM4cUA=="
        ":",
        '"date": Tue, 20 Apr 2021 02:07:55 GMT\n'
        '"@method": POST\n'
        '"@path": /foo\n'
        '"@query": ?param=Value&Pet=dog\n'
        '"@authority": example.com\n'
        '"content-type": application/json\n'
        '"content-digest": sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu'
        "7BNNyealdVLvRwEmTHWXvJwew==:\n"
        '"content-length": 18\n'
        '"@signature-params": ("date" "@method" "@path" "@query" "@authority" "content-type"'
        ' "content-digest" "content-length");created=1618884473;keyid="test-key-rsa-pss"',
    ),
    "sig-b24": (
        "test-key-ecc-p256",
        'sig-b24=("@status" "content-type" "content-digest" "content-length")'
        ';created=1618884473;keyid="test-key-ecc-p256"',
        "sig-b24=:wNmSUAhwb5LxtOtOpNa6W5xj067m5hFrj0XQ4fvpaCLx0NKocgPquLgyahnzDnDAUy5eCdlYUEkLIj+"
        "32oiasw==:",
        '"@status": 200\n'
        '"content-type": application/json\n'
        '"content-digest": sha-512=:mEWXIS7MaLRuGgxOBdODa3xqM1XdEvxoYhvlCFJ41QJgJc4GTsPp29l5oGX6'
        "9wWdXymyU0rjJuahq4l5aGgfLQ==:\n"
        '"content-length": 23\n'
        '"@signature-params": ("@status" "content-type" "content-digest" "content-length")'
        ';created=1618884473;keyid="test-key-ecc-p256"',
    ),
    "sig-b26": (
        "test-key-ed25519",
        'sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length")'
        ';created=1618884473;keyid="test-key-ed25519"',
        "sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WP"
        "pBKRCw==:",
        '"date": Tue, 20 Apr 2021 02:07:55 GMT\n'
        '"@method": POST\n'
        '"@path": /foo\n'
        '"@authority": example.com\n'
        '"content-type": application/json\n'
        '"content-length": 18\n'
        '"@signature-params": ("date" "@method" "@path" "@authority" "content-type"'
        ' "content-length");created=1618884473;keyid="test-key-ed25519"',
    ),
}


def b2_message(label: str) -> Message:
    _, signature_input, signature, _ = B2_VECTORS[label]
    added = [("Signature-Input", signature_input), ("Signature", signature)]
    if label == "sig-b24":
        body = b'{"message": "good dog"}'
        return Message.build("POST", B2_URL, B2_RESPONSE_HEADERS + added, body, status=200)
    return Message.build("POST", B2_URL, B2_REQUEST_HEADERS + added, B2_BODY)


@pytest.mark.parametrize("label", sorted(B2_VECTORS))
def test_rfc9421_signature_base_matches_the_rfc(label: str) -> None:
    message = b2_message(label)
    [parsed] = rfc9421.parse_signatures(message)
    assert parsed.label == label
    assert rfc9421.signature_base(message, parsed.covered) == B2_VECTORS[label][3].encode()


@pytest.mark.parametrize("label", sorted(B2_VECTORS))
def test_rfc9421_published_signature_verifies(label: str) -> None:
    key = rfc9421_key(B2_VECTORS[label][0])
    message = b2_message(label)
    [parsed] = rfc9421.parse_signatures(message)
    base = rfc9421.signature_base(message, parsed.covered)
    expected = {
        "test-key-rsa-pss": algorithms.RSA_PSS_SHA512,
        "test-key-ecc-p256": algorithms.ECDSA_P256_SHA256,
        "test-key-ed25519": algorithms.ED25519,
    }[B2_VECTORS[label][0]]
    assert rfc9421.verify_parsed(parsed, base, key) == expected


def test_rfc9421_b26_ed25519_signature_is_reproduced_byte_for_byte() -> None:
    key = rfc9421_private_key("test-key-ed25519")
    message = b2_message("sig-b26")
    [parsed] = rfc9421.parse_signatures(message)
    base = rfc9421.signature_base(message, parsed.covered)
    assert algorithms.sign(algorithms.ED25519, key, base) == parsed.signature


def test_rfc9421_b23_passes_the_full_entry_point() -> None:
    """B.2.3 covers method, path, query, authority, date and content-digest: all our rules."""
    key = rfc9421_key("test-key-rsa-pss")
    message = b2_message("sig-b23")
    result = verify_request_sync(
        "POST",
        B2_URL,
        [(name, value) for name, values in message.headers.items() for value in values],
        B2_BODY,
        now=B2_CREATED,
        lookup_key=lambda key_id: key if key_id == "test-key-rsa-pss" else None,
    )
    assert result == VerifiedSignature(
        "test-key-rsa-pss",
        Scheme.RFC9421,
        algorithms.RSA_PSS_SHA512,
        (
            "date",
            "@method",
            "@path",
            "@query",
            "@authority",
            "content-type",
            "content-digest",
            "content-length",
        ),
    )


@pytest.mark.parametrize(
    ("label", "reason"),
    [
        ("sig-b21", "request target not signed"),
        ("sig-b22", "request target not signed"),
        # B.2.6 covers @path but not @query, and the test-request has a query.
        ("sig-b26", "request target not signed"),
    ],
)
def test_rfc9421_weaker_vectors_fail_our_rules(label: str, reason: str) -> None:
    message = b2_message(label)
    headers = [(name, value) for name, values in message.headers.items() for value in values]
    with pytest.raises(SignatureError) as caught:
        prepare_verification("POST", B2_URL, headers, B2_BODY, now=B2_CREATED)
    assert caught.value.reason == reason


# ---------------------------------------------------------------------------------------------
# draft-cavage-http-signatures-12 Appendix C: the test key (C: "Test Values") and request.

CAVAGE_PRIVATE_KEY = """-----BEGIN RSA PRIVATE KEY-----
MIICXgIBAAKBgQDCFENGw33yGihy92pDjZQhl0C36rPJj+CvfSC8+q28hxA161QF
NUd13wuCTUcq0Qd2qsBe/2hFyc2DCJJg0h1L78+6Z4UMR7EOcpfdUE9Hf3m/hs+F
UR45uBJeDK1HSFHD8bHKD6kv8FPGfJTotc+2xjJwoYi+1hqp1fIekaxsyQIDAQAB
AoGBAJR8ZkCUvx5kzv+utdl7T5MnordT1TvoXXJGXK7ZZ+UuvMNUCdN2QPc4sBiA
QWvLw1cSKt5DsKZ8UETpYPy8pPYnnDEz2dDYiaew9+xEpubyeW2oH4Zx71wqBtOK
kqwrXa/pzdpiucRRjk6vE6YY7EBBs/g7uanVpGibOVAEsqH1AkEA7DkjVH28WDUg
f1nqvfn2Kj6CT7nIcE3jGJsZZ7zlZmBmHFDONMLUrXR/Zm3pR5m0tCmBqa5RK95u
412jt1dPIwJBANJT3v8pnkth48bQo/fKel6uEYyboRtA5/uHuHkZ6FQF7OUkGogc
mSJluOdc5t6hI1VsLn0QZEjQZMEOWr+wKSMCQQCC4kXJEsHAve77oP6HtG/IiEn7
kpyUXRNvFsDE0czpJJBvL/aRFUJxuRK91jhjC68sA7NsKMGg5OXb5I5Jj36xAkEA
gIT7aFOYBFwGgQAQkWNKLvySgKbAZRTeLBacpHMuQdl1DfdntvAyqpAZ0lY0RKmW
G6aFKaqQfOXKCyWoUiVknQJAXrlgySFci/2ueKlIE1QqIiLSZ8V8OlpFLRnb1pzI
7U1yQXnTAEFYM560yJlzUpOb1V4cScGd365tiSMvxLOvTA==
-----END RSA PRIVATE KEY-----
"""
CAVAGE_PUBLIC_KEY = """-----BEGIN PUBLIC KEY-----
MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDCFENGw33yGihy92pDjZQhl0C3
6rPJj+CvfSC8+q28hxA161QFNUd13wuCTUcq0Qd2qsBe/2hFyc2DCJJg0h1L78+6
Z4UMR7EOcpfdUE9Hf3m/hs+FUR45uBJeDK1HSFHD8bHKD6kv8FPGfJTotc+2xjJw
oYi+1hqp1fIekaxsyQIDAQAB
-----END PUBLIC KEY-----
"""
C_URL = "http://example.com/foo?param=value&pet=dog"
C_NOW = datetime(2014, 1, 5, 21, 31, 40, tzinfo=UTC)
C_HEADERS = [
    ("Host", "example.com"),
    ("Date", "Sun, 05 Jan 2014 21:31:40 GMT"),
    ("Content-Type", "application/json"),
    ("Digest", "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE="),
    ("Content-Length", "18"),
]
C_VECTORS = {
    # test: (headers parameter or None for the default, expected signature)
    "C.1": (
        None,
        "SjWJWbWN7i0wzBvtPl8rbASWz5xQW6mcJmn+ibttBqtifLN7Sazz6m79cNfwwb8DMJ5cou1s7uEGKKCs+FLEEaD"
        "V5lp7q25WqS+lavg7T8hc0GppauB6hbgEKTwblDHYGEtbGmtdHgVCk9SuS13F0hZ8FD0k/5OxEPXe5WozsbM=",
    ),
    "C.2": (
        "(request-target) host date",
        "qdx+H7PHHDZgy4y/Ahn9Tny9V3GP6YgBPyUXMmoxWtLbHpUnXS2mg2+SbrQDMCJypxBLSPQR2aAjn7ndmw2iicw"
        "3HMbe8VfEdKFYRqzic+efkb3nndiv/x1xSHDJWeSWkx3ButlYSuBskLu6kd9Fswtemr3lgdDEmn04swr2Os0=",
    ),
    "C.3": (
        "(request-target) host date content-type digest content-length",
        "vSdrb+dS3EceC9bcwHSo4MlyKS59iFIrhgYkz8+oVLEEzmYZZvRs8rgOp+63LEM3v+MFHB32NfpB2bEKBIvB1q5"
        "2LaEUHFv120V01IL+TAD48XaERZFukWgHoBTLMhYS2Gb51gWxpeIq8knRmPnYePbF5MOkR0Zkly4zKH7s1dE=",
    ),
}
C_SIGNING_STRINGS = {
    "C.1": "date: Sun, 05 Jan 2014 21:31:40 GMT",
    "C.2": "(request-target): post /foo?param=value&pet=dog\nhost: example.com\n"
    "date: Sun, 05 Jan 2014 21:31:40 GMT",
    "C.3": "(request-target): post /foo?param=value&pet=dog\nhost: example.com\n"
    "date: Sun, 05 Jan 2014 21:31:40 GMT\ncontent-type: application/json\n"
    "digest: SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=\ncontent-length: 18",
}


def cavage_header(test: str) -> str:
    headers, signature = C_VECTORS[test]
    listed = f'headers="{headers}",' if headers else ""
    return f'keyId="Test",algorithm="rsa-sha256",{listed}signature="{signature}"'


@pytest.mark.parametrize("test", sorted(C_VECTORS))
def test_cavage_appendix_c_signing_string_and_signature(test: str) -> None:
    message = Message.build(
        "POST", C_URL, [*C_HEADERS, ("Signature", cavage_header(test))], B2_BODY
    )
    parsed = cavage.parse_signature_header(cavage_header(test))
    data = cavage.signing_string(message, parsed)
    assert data == C_SIGNING_STRINGS[test].encode()
    key = public_key_from_pem(CAVAGE_PUBLIC_KEY)
    assert cavage.verify_parsed(parsed, data, key) == algorithms.RSA_V1_5_SHA256


@pytest.mark.parametrize("test", ["C.2", "C.3"])
def test_cavage_appendix_c_signature_is_reproduced(test: str) -> None:
    key = private_key_from_pem(CAVAGE_PRIVATE_KEY)
    headers = str(C_VECTORS[test][0]).split()
    message = Message.build("POST", C_URL, C_HEADERS, B2_BODY)
    value = cavage.sign_message(message, key, "Test", headers)
    assert value == (
        f'keyId="Test",algorithm="rsa-sha256",headers="{C_VECTORS[test][0]}",'
        f'signature="{C_VECTORS[test][1]}"'
    )


def test_cavage_appendix_c3_passes_the_full_entry_point() -> None:
    headers = [*C_HEADERS, ("Signature", cavage_header("C.3"))]
    result = verify_request_sync(
        "POST",
        C_URL,
        headers,
        B2_BODY,
        now=C_NOW,
        lookup_key=lambda key_id: CAVAGE_PUBLIC_KEY if key_id == "Test" else None,
        min_rsa_bits=1024,  # the draft's test key is RSA-1024
    )
    assert result.key_id == "Test"
    assert result.scheme is Scheme.CAVAGE


def test_cavage_appendix_c3_key_is_too_small_by_default() -> None:
    headers = [*C_HEADERS, ("Signature", cavage_header("C.3"))]
    with pytest.raises(SignatureError, match="RSA key too small"):
        verify_request_sync(
            "POST", C_URL, headers, B2_BODY, now=C_NOW, lookup_key=lambda _: CAVAGE_PUBLIC_KEY
        )


def test_cavage_authorization_header_form_is_accepted() -> None:
    headers = [*C_HEADERS, ("Authorization", "Signature " + cavage_header("C.3"))]
    result = verify_request_sync(
        "POST",
        C_URL,
        headers,
        B2_BODY,
        now=C_NOW,
        lookup_key=lambda _: CAVAGE_PUBLIC_KEY,
        min_rsa_bits=1024,
    )
    assert result.key_id == "Test"


@pytest.mark.parametrize(
    ("test", "reason"),
    [("C.1", "request target not signed"), ("C.2", "digest not signed")],
)
def test_cavage_appendix_c_weaker_vectors_fail_our_rules(test: str, reason: str) -> None:
    headers = [*C_HEADERS, ("Signature", cavage_header(test))]
    with pytest.raises(SignatureError) as caught:
        prepare_verification("POST", C_URL, headers, B2_BODY, now=C_NOW)
    assert caught.value.reason == reason


# ---------------------------------------------------------------------------------------------
# Round trips with our own signer, then every rejection rule.

NOW = datetime(2025, 6, 1, 12, 0, 0, tzinfo=UTC)
INBOX = "https://place.example/inbox"
KEY_ID = "https://sender.example/actor#main-key"
ACTIVITY = b'{"type": "Follow", "actor": "https://sender.example/actor"}'
RSA_KEY = generate_rsa_key()
ED_KEY = generate_ed25519_key()
SCHEMES = [Scheme.CAVAGE, Scheme.RFC9421]


def lookup(key: PrivateKey) -> Callable[[str], PublicKey | None]:
    return lambda key_id: key.public_key() if key_id == KEY_ID else None


def signed(
    scheme: Scheme,
    *,
    method: str = "POST",
    url: str = INBOX,
    body: bytes = ACTIVITY,
    key: PrivateKey = RSA_KEY,
    now: datetime = NOW,
    covered: list[str] | None = None,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    headers = {"Content-Type": "application/activity+json", **(extra or {})}
    headers |= signed_request_headers(
        scheme, method, url, body, key=key, key_id=KEY_ID, now=now, headers=headers, covered=covered
    )
    return headers


def reason_of(
    headers: Mapping[str, str] | list[tuple[str, str]],
    *,
    method: str = "POST",
    url: str = INBOX,
    body: bytes = ACTIVITY,
    now: datetime = NOW,
    key: PrivateKey = RSA_KEY,
) -> str:
    with pytest.raises(SignatureError) as caught:
        verify_request_sync(method, url, headers, body, now=now, lookup_key=lookup(key))
    return caught.value.reason


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("key", [RSA_KEY, ED_KEY], ids=["rsa", "ed25519"])
@pytest.mark.parametrize("method", ["POST", "GET"])
async def test_round_trip(scheme: Scheme, key: PrivateKey, method: str) -> None:
    body = ACTIVITY if method == "POST" else b""
    headers = signed(scheme, method=method, body=body, key=key)

    async def fetch_key(key_id: str) -> str | None:
        return public_key_to_pem(key) if key_id == KEY_ID else None

    result = await verify_request(method, INBOX, headers, body, now=NOW, lookup_key=fetch_key)
    assert result.key_id == KEY_ID
    assert result.scheme is scheme
    expected = algorithms.ED25519 if key is ED_KEY else algorithms.RSA_V1_5_SHA256
    assert result.algorithm == expected


def test_outgoing_headers_are_what_mastodon_expects() -> None:
    headers = signed(Scheme.CAVAGE)
    assert headers["Host"] == "place.example"
    assert headers["Date"] == "Sun, 01 Jun 2025 12:00:00 GMT"
    assert headers["Digest"].startswith("SHA-256=")
    assert 'algorithm="rsa-sha256"' in headers["Signature"]
    assert 'headers="(request-target) host date digest"' in headers["Signature"]
    ed = signed(Scheme.CAVAGE, key=ED_KEY, method="GET", body=b"")
    assert 'algorithm="hs2019"' in ed["Signature"]
    assert 'headers="(request-target) host date"' in ed["Signature"]
    assert "Digest" not in ed


def test_outgoing_rfc9421_headers() -> None:
    headers = signed(Scheme.RFC9421)
    assert headers["Content-Digest"].startswith("sha-256=:")
    assert headers["Signature-Input"] == (
        'sig1=("@method" "@target-uri" "@authority" "content-digest")'
        f';created={int(NOW.timestamp())};keyid="{KEY_ID}";alg="rsa-v1_5-sha256"'
    )
    assert headers["Signature"].startswith("sig1=:")


@pytest.mark.parametrize(
    ("key", "alg"),
    [
        (ec.generate_private_key(ec.SECP256R1()), algorithms.ECDSA_P256_SHA256),
        (RSA_KEY, algorithms.RSA_PSS_SHA512),
    ],
    ids=["ecdsa", "pss"],
)
def test_rfc9421_other_algorithms_round_trip(key: PrivateKey, alg: str) -> None:
    headers = signed(Scheme.RFC9421, method="GET", body=b"")
    message = Message.build("GET", INBOX, headers)
    components = ["@method", "@target-uri", "@authority"]
    added = rfc9421.sign_message(
        message, key, KEY_ID, created=int(NOW.timestamp()), components=components, algorithm=alg
    )
    headers |= added
    result = verify_request_sync("GET", INBOX, headers, b"", now=NOW, lookup_key=lookup(key))
    assert result.algorithm == alg


def test_multi_valued_headers_are_joined() -> None:
    """A header sent on several lines is signed as its values joined by ", " (both schemes)."""
    headers = list(
        signed(
            Scheme.RFC9421,
            covered=["@method", "@target-uri", "@authority", "content-digest", "accept"],
            extra={"Accept": "application/activity+json, application/ld+json"},
        ).items()
    )
    split = [pair for pair in headers if pair[0] != "Accept"]
    split += [("accept", " application/activity+json "), ("ACCEPT", "application/ld+json")]
    result = verify_request_sync(
        "POST", INBOX, split, ACTIVITY, now=NOW, lookup_key=lookup(RSA_KEY)
    )
    assert "accept" in result.covered


def test_header_names_are_case_insensitive() -> None:
    headers = {name.upper(): value for name, value in signed(Scheme.CAVAGE).items()}
    assert (
        verify_request_sync(
            "POST", INBOX, headers, ACTIVITY, now=NOW, lookup_key=lookup(RSA_KEY)
        ).key_id
        == KEY_ID
    )


def test_second_label_is_used_when_the_first_fails_our_rules() -> None:
    headers = signed(Scheme.RFC9421)
    weak = rfc9421.sign_message(
        Message.build("POST", INBOX, headers, ACTIVITY),
        RSA_KEY,
        KEY_ID,
        created=int(NOW.timestamp()),
        components=["@authority"],
        label="weak",
    )
    headers["Signature-Input"] = weak["Signature-Input"] + ", " + headers["Signature-Input"]
    headers["Signature"] = weak["Signature"] + ", " + headers["Signature"]
    result = verify_request_sync(
        "POST", INBOX, headers, ACTIVITY, now=NOW, lookup_key=lookup(RSA_KEY)
    )
    assert result.covered == ("@method", "@target-uri", "@authority", "content-digest")


# SECURITY.md row 1: body changed after signing, or digest not signed.


@pytest.mark.parametrize("scheme", SCHEMES)
def test_tampered_body_is_rejected(scheme: Scheme) -> None:
    assert (
        reason_of(signed(scheme), body=ACTIVITY.replace(b"Follow", b"Delete")) == "digest mismatch"
    )


@pytest.mark.parametrize("scheme", SCHEMES)
def test_body_with_recomputed_digest_breaks_the_signature(scheme: Scheme) -> None:
    tampered = ACTIVITY.replace(b"Follow", b"Delete")
    headers = signed(scheme)
    fresh = signed(scheme, body=tampered, key=generate_ed25519_key())
    for name in ("Digest", "Content-Digest"):
        if name in headers:
            headers[name] = fresh[name]
    assert reason_of(headers, body=tampered) == "bad signature"


@pytest.mark.parametrize(
    ("scheme", "covered"),
    [
        (Scheme.CAVAGE, ["(request-target)", "host", "date"]),
        (Scheme.RFC9421, ["@method", "@target-uri", "@authority"]),
    ],
)
def test_unsigned_digest_is_rejected(scheme: Scheme, covered: list[str]) -> None:
    assert reason_of(signed(scheme, covered=covered)) == "digest not signed"


@pytest.mark.parametrize("scheme", SCHEMES)
def test_empty_post_still_needs_a_signed_digest(scheme: Scheme) -> None:
    covered = {Scheme.CAVAGE: ["(request-target)", "host", "date"]}.get(
        scheme, ["@method", "@target-uri", "@authority"]
    )
    assert reason_of(signed(scheme, body=b"", covered=covered), body=b"") == "digest not signed"


@pytest.mark.parametrize("scheme", SCHEMES)
def test_missing_digest_header_is_rejected(scheme: Scheme) -> None:
    headers = signed(scheme)
    headers.pop("Digest", None)
    header = headers.pop("Content-Digest", None)
    expected = "missing header: content-digest" if header else "missing header: digest"
    assert reason_of(headers) == expected


# SECURITY.md row 2: replay to another path, query or host.


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize(
    "url",
    [
        "https://place.example/users/alice/inbox",
        "https://place.example/inbox?page=2",
    ],
)
def test_replay_to_another_target_is_rejected(scheme: Scheme, url: str) -> None:
    assert reason_of(signed(scheme), url=url) == "bad signature"


def test_rfc9421_target_uri_pins_the_scheme() -> None:
    # draft-cavage's (request-target) has no scheme; RFC 9421's @target-uri does.
    assert reason_of(signed(Scheme.RFC9421), url="http://place.example/inbox") == "bad signature"


@pytest.mark.parametrize("scheme", SCHEMES)
def test_replay_with_another_method_is_rejected(scheme: Scheme) -> None:
    headers = signed(scheme, method="GET", body=b"")
    expected = {Scheme.CAVAGE: "digest not signed", Scheme.RFC9421: "digest not signed"}[scheme]
    assert reason_of(headers, method="POST", body=b"") == expected


def test_replay_to_another_host_with_the_old_host_header() -> None:
    headers = signed(Scheme.CAVAGE)
    assert reason_of(headers, url="https://other.example/inbox") == "host mismatch"


@pytest.mark.parametrize("scheme", SCHEMES)
def test_replay_to_another_host_with_a_new_host_header(scheme: Scheme) -> None:
    headers = signed(scheme)
    headers["Host"] = "other.example"
    assert reason_of(headers, url="https://other.example/inbox") == "bad signature"


@pytest.mark.parametrize("host", ["place.example@other.example", "place.example/x", "a b"])
def test_url_like_host_header_is_rejected(host: str) -> None:
    headers = signed(Scheme.CAVAGE) | {"Host": host}
    assert reason_of(headers) == "host mismatch"


def test_host_header_with_default_port_matches() -> None:
    headers = signed(Scheme.CAVAGE, url="https://place.example:443/inbox")
    assert headers["Host"] == "place.example"
    result = verify_request_sync(
        "POST", INBOX, headers, ACTIVITY, now=NOW, lookup_key=lookup(RSA_KEY)
    )
    assert result.key_id == KEY_ID


@pytest.mark.parametrize(
    ("scheme", "covered", "reason"),
    [
        (Scheme.CAVAGE, ["host", "date", "digest"], "request target not signed"),
        (Scheme.CAVAGE, ["(request-target)", "date", "digest"], "host not signed"),
        (Scheme.RFC9421, ["@method", "@path", "content-digest"], "request target not signed"),
        (Scheme.RFC9421, ["@authority", "@path", "content-digest"], "request target not signed"),
        (Scheme.RFC9421, ["@method", "@authority", "content-digest"], "request target not signed"),
    ],
)
def test_target_must_be_signed(scheme: Scheme, covered: list[str], reason: str) -> None:
    assert reason_of(signed(scheme, covered=covered)) == reason


def test_rfc9421_path_without_query_needs_query_when_there_is_one() -> None:
    url = INBOX + "?page=1"
    covered = ["@method", "@authority", "@path", "content-digest"]
    assert reason_of(signed(Scheme.RFC9421, url=url, covered=covered), url=url) == (
        "request target not signed"
    )
    headers = signed(Scheme.RFC9421, url=url, covered=[*covered, "@query"])
    assert verify_request_sync(
        "POST", url, headers, ACTIVITY, now=NOW, lookup_key=lookup(RSA_KEY)
    ).covered == (*covered, "@query")


# SECURITY.md row 3: stale, future or garbage Date / created / expires.


@pytest.mark.parametrize(
    ("scheme", "skew", "reason"),
    [
        (Scheme.CAVAGE, timedelta(hours=-1, seconds=-1), "date too old"),
        (Scheme.CAVAGE, timedelta(hours=1, seconds=1), "date in the future"),
        (Scheme.RFC9421, timedelta(hours=-1, seconds=-1), "created too old"),
        (Scheme.RFC9421, timedelta(hours=1, seconds=1), "created in the future"),
    ],
)
def test_time_window(scheme: Scheme, skew: timedelta, reason: str) -> None:
    headers = signed(scheme, now=NOW + skew)
    assert reason_of(headers) == reason
    # Just inside the hour is fine, in both directions.
    inside = signed(scheme, now=NOW + skew * 0.99)
    assert (
        verify_request_sync(
            "POST", INBOX, inside, ACTIVITY, now=NOW, lookup_key=lookup(RSA_KEY)
        ).scheme
        is scheme
    )


@pytest.mark.parametrize("date", ["garbage", "Sun, 99 Foo 2025 12:00:00 GMT", "", "1717243200"])
def test_garbage_date_is_rejected(date: str) -> None:
    assert (
        reason_of(signed(Scheme.CAVAGE, extra={"Date": date}) | {"Date": date}) == "malformed date"
    )


def test_rfc9421_signed_date_is_checked_too() -> None:
    covered = ["@method", "@target-uri", "@authority", "content-digest", "date"]
    headers = signed(Scheme.RFC9421, covered=covered)
    headers["Date"] = "Sun, 01 Jun 2025 09:00:00 GMT"
    assert reason_of(headers) == "date too old"


def edit_signature_input(headers: dict[str, str], old: str, new: str) -> dict[str, str]:
    assert old in headers["Signature-Input"]
    return headers | {"Signature-Input": headers["Signature-Input"].replace(old, new)}


@pytest.mark.parametrize(
    ("new", "reason"),
    [
        ('created="yesterday"', "malformed created"),
        ("created=1.5", "malformed created"),
        ("created=999999999999999", "malformed created"),
        (f"created={int(NOW.timestamp())};expires={int(NOW.timestamp()) - 1}", "signature expired"),
        (f"created={int(NOW.timestamp())};expires=?1", "malformed expires"),
        ("nonce=1", "created missing"),
    ],
)
def test_rfc9421_bad_created_or_expires(new: str, reason: str) -> None:
    headers = signed(Scheme.RFC9421)
    headers = edit_signature_input(headers, f"created={int(NOW.timestamp())}", new)
    assert reason_of(headers) == reason


def test_cavage_created_and_expires_are_checked() -> None:
    base = signed(Scheme.CAVAGE)
    stamp = int(NOW.timestamp())
    for params, reason in [
        (f"created={stamp - 7200},", "created too old"),
        (f"created={stamp},expires={stamp - 10},", "signature expired"),
        ("created=soon,", "malformed created"),
    ]:
        headers = base | {"Signature": params + base["Signature"]}
        assert reason_of(headers) == reason


def test_cavage_created_alone_can_cover_time() -> None:
    stamp = int(NOW.timestamp())
    message = Message.build("POST", INBOX, signed(Scheme.CAVAGE), ACTIVITY)
    draft = cavage.CavageSignature(
        KEY_ID, "hs2019", ("(request-target)", "host", "(created)", "digest"), b"", str(stamp)
    )
    signature = algorithms.sign(algorithms.ED25519, ED_KEY, cavage.signing_string(message, draft))
    headers = signed(Scheme.CAVAGE) | {
        "Signature": f'keyId="{KEY_ID}",algorithm="hs2019",created={stamp},'
        f'headers="(request-target) host (created) digest",'
        f'signature="{base64.b64encode(signature).decode()}"'
    }
    result = verify_request_sync(
        "POST", INBOX, headers, ACTIVITY, now=NOW, lookup_key=lookup(ED_KEY)
    )
    assert result.algorithm == algorithms.ED25519
    without_time = headers | {"Signature": headers["Signature"].replace(" (created)", "")}
    assert reason_of(without_time, key=ED_KEY) == "date not signed"


# Algorithms, keys and malformed headers.


def test_unknown_algorithms_are_rejected() -> None:
    cavage_headers = signed(Scheme.CAVAGE)
    cavage_headers["Signature"] = cavage_headers["Signature"].replace("rsa-sha256", "rsa-sha512")
    assert reason_of(cavage_headers) == "unsupported algorithm"
    headers = edit_signature_input(signed(Scheme.RFC9421), "rsa-v1_5-sha256", "hmac-sha256")
    assert reason_of(headers) == "unsupported algorithm"


def test_algorithm_must_match_the_key() -> None:
    assert reason_of(signed(Scheme.CAVAGE), key=ED_KEY) == "algorithm does not match key"
    assert reason_of(signed(Scheme.RFC9421), key=ED_KEY) == "algorithm does not match key"


@pytest.mark.parametrize("scheme", SCHEMES)
def test_wrong_key_and_unknown_key(scheme: Scheme) -> None:
    assert reason_of(signed(scheme), key=generate_rsa_key()) == "bad signature"
    headers = signed(scheme)
    with pytest.raises(SignatureError, match="unknown key"):
        verify_request_sync("POST", INBOX, headers, ACTIVITY, now=NOW, lookup_key=lambda _: None)
    with pytest.raises(SignatureError, match="unusable public key"):
        verify_request_sync("POST", INBOX, headers, ACTIVITY, now=NOW, lookup_key=lambda _: "x")


@pytest.mark.parametrize(
    ("scheme", "drop", "reason"),
    [
        (Scheme.CAVAGE, "Signature", "missing signature"),
        (Scheme.CAVAGE, "Date", "missing header: date"),
        (Scheme.CAVAGE, "Host", "missing header: host"),
        (Scheme.RFC9421, "Signature", "missing signature"),
        (Scheme.RFC9421, "Signature-Input", "missing signature input"),
    ],
)
def test_missing_headers(scheme: Scheme, drop: str, reason: str) -> None:
    headers = signed(scheme)
    del headers[drop]
    assert reason_of(headers) == reason


def test_signed_header_that_is_absent() -> None:
    covered = ["(request-target)", "host", "date", "digest", "x-forwarded-for"]
    with pytest.raises(SignatureError, match="missing header: x-forwarded-for"):
        signed(Scheme.CAVAGE, covered=covered)
    headers = signed(Scheme.CAVAGE, covered=covered, extra={"X-Forwarded-For": "192.0.2.1"})
    del headers["X-Forwarded-For"]
    assert reason_of(headers) == "missing header: x-forwarded-for"


@pytest.mark.parametrize(
    ("signature", "reason"),
    [
        ("", "malformed signature header"),
        ('keyId="a"', "malformed signature header"),
        ('keyId="a",signature="%%%"', "malformed signature header"),
        ('keyId="a",keyId="b",signature="AAAA"', "malformed signature header"),
        ('keyId="a,signature="AAAA"', "malformed signature header"),
        ('keyId="a",headers="",signature="AAAA"', "malformed signature header"),
        ('keyId="a",headers="date date",signature="AAAA"', "malformed signature header"),
        ('keyId="a",created=1e9,signature="AAAA"', "malformed created"),
    ],
)
def test_malformed_cavage_header(signature: str, reason: str) -> None:
    headers = signed(Scheme.CAVAGE) | {"Signature": signature}
    assert reason_of(headers) == reason


@pytest.mark.parametrize(
    ("signature_input", "signature", "reason"),
    [
        ("sig1=(", "sig1=:AAAA:", "malformed signature input"),
        ('sig1="x"', "sig1=:AAAA:", "malformed signature input"),
        ('sig1=("@method");keyid="k";created=1', "sig1=AAAA", "malformed signature"),
        ('sig1=("@method");keyid="k"', "sig2=:AAAA:", "no signature matches signature input"),
        ('sig1=("@method" "@method");keyid="k"', "sig1=:AAAA:", "duplicate component"),
        ('sig1=(@method);keyid="k"', "sig1=:AAAA:", "malformed signature input"),
        ('sig1=(method);keyid="k"', "sig1=:AAAA:", "malformed component"),
        ('sig1=("Host");keyid="k"', "sig1=:AAAA:", "malformed component"),
        ('sig1=("@signature-params");keyid="k"', "sig1=:AAAA:", "malformed component"),
        ('sig1=("@method" "@target-uri" "@authority");created=1', "sig1=:AAAA:", "missing keyid"),
    ],
)
def test_malformed_rfc9421_headers(signature_input: str, signature: str, reason: str) -> None:
    headers = signed(Scheme.RFC9421, method="GET", body=b"")
    headers |= {"Signature-Input": signature_input, "Signature": signature}
    assert reason_of(headers, method="GET", body=b"") == reason


@pytest.mark.parametrize(
    ("component", "reason"),
    [
        ('"@unknown"', "unsupported component: @unknown"),
        ('"@status"', "unsupported component: @status"),
        ('"@method";sf', "unsupported component: @method"),
        ('"accept";sf', "unsupported component parameter on accept"),
        ('"@query-param";name="missing"', "missing query parameter: missing"),
        ('"@query-param"', "malformed component"),
    ],
)
def test_unsupported_rfc9421_components(component: str, reason: str) -> None:
    headers = signed(Scheme.RFC9421, method="GET", body=b"", extra={"Accept": "*/*"})
    headers = edit_signature_input(headers, '"@authority")', f'"@authority" {component})')
    assert reason_of(headers, method="GET", body=b"") == reason


def test_query_param_values_are_reencoded() -> None:
    """RFC 9421 section 2.2.8: decode, then percent-encode everything but [A-Za-z0-9*-._]."""
    url = "https://place.example/search?q=caf%C3%A9+cr%c3%a8me&tag=a~b"
    message = Message.build("GET", url, {})
    base = rfc9421.signature_base(
        message,
        rfc9421.parse_signatures(
            Message.build(
                "GET",
                url,
                {
                    "Signature-Input": 'x=("@query-param";name="q" "@query-param";name="tag")',
                    "Signature": "x=:AAAA:",
                },
            )
        )[0].covered,
    )
    assert base.decode().splitlines()[:2] == [
        '"@query-param";name="q": caf%C3%A9%20cr%C3%A8me',
        '"@query-param";name="tag": a%7Eb',
    ]


def test_all_derived_components() -> None:
    url = "https://Place.Example:8443/a%20b/c?x=1&y"
    covered = '("@method" "@target-uri" "@authority" "@scheme" "@request-target" "@path" "@query")'
    message = Message.build(
        "POST", url, {"Signature-Input": f"s={covered}", "Signature": "s=:AAAA:"}
    )
    [parsed] = rfc9421.parse_signatures(message)
    assert rfc9421.signature_base(message, parsed.covered).decode().splitlines()[:-1] == [
        '"@method": POST',
        '"@target-uri": https://place.example:8443/a%20b/c?x=1&y',
        '"@authority": place.example:8443',
        '"@scheme": https',
        '"@request-target": /a%20b/c?x=1&y',
        '"@path": /a%20b/c',
        '"@query": ?x=1&y',
    ]


def test_empty_query_and_path_defaults() -> None:
    message = Message.build("GET", "http://example.com", {})
    assert message.path == "/"
    covered = parse_dictionary('s=("@path" "@query")')["s"]
    assert isinstance(covered, InnerList)
    assert rfc9421.signature_base(message, covered).decode().splitlines()[:2] == [
        '"@path": /',
        '"@query": ?',
    ]


@pytest.mark.parametrize("url", ["not a url", "https://[::1/inbox", "https://host:99999/"])
def test_malformed_url_is_signature_error(url: str) -> None:
    assert reason_of(signed(Scheme.CAVAGE), url=url) == "malformed request URL"


def test_naive_now_is_taken_as_utc() -> None:
    headers = signed(Scheme.CAVAGE)
    naive = NOW.replace(tzinfo=None)
    result = verify_request_sync(
        "POST", INBOX, headers, ACTIVITY, now=naive, lookup_key=lookup(RSA_KEY)
    )
    assert result.key_id == KEY_ID


def test_serialization_keeps_tokens_strings_and_numbers_apart() -> None:
    text = '("a" "@query-param";name="Pet");created=1;alg=tok;flag;n=-1.5;b=:AAE=:;f=?0'
    parsed = parse_dictionary(f"s={text}")["s"]
    assert isinstance(parsed, InnerList)
    assert serialize_inner_list(parsed) == text


@pytest.mark.parametrize(
    "text",
    ["a=1,", "A=1", "a=(1", 'a="\\x"', 'a="é"', "a=1.2345", "a=1234567890123456", "a=?2", "a=:A"],
)
def test_structured_field_errors(text: str) -> None:
    with pytest.raises(StructuredFieldError):
        parse_dictionary(text)


# ---------------------------------------------------------------------------------------------
# Fuzzing: whatever the headers say, the outcome is a result or a SignatureError.

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SIGNED = {scheme: signed(scheme) for scheme in SCHEMES}
header_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="\r\n"), max_size=120
) | st.sampled_from(
    [
        'keyId="k",signature="AAAA"',
        'sig1=("@method");keyid="k";created=1',
        "sig1=:AAAA:",
        "SHA-256=AAAA",
        "sha-256=:AAAA:",
        "Sun, 01 Jun 2025 12:00:00 GMT",
        "place.example",
    ]
)


def outcome(method: str, url: str, headers: object, body: bytes) -> None:
    reason = "accepted"
    try:
        verify_request_sync(
            method,
            url,
            headers,  # type: ignore[arg-type]
            body,
            now=NOW,
            lookup_key=lookup(RSA_KEY),
        )
    except SignatureError as error:
        reason = error.reason
    assert 0 < len(reason) < 120


@FUZZ
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "signature",
                "signature-input",
                "authorization",
                "digest",
                "content-digest",
                "date",
                "host",
                "content-type",
            ]
        ),
        header_text,
    ),
    st.binary(max_size=32),
    st.sampled_from(["GET", "POST", "get"]),
)
def test_fuzz_arbitrary_headers(headers: dict[str, str], body: bytes, method: str) -> None:
    outcome(method, INBOX, headers, body)


@FUZZ
@given(
    st.sampled_from(SCHEMES),
    st.data(),
)
def test_fuzz_mutated_valid_headers(scheme: Scheme, data: st.DataObject) -> None:
    headers = dict(SIGNED[scheme])
    name = data.draw(st.sampled_from(sorted(headers)))
    value = headers[name]
    position = data.draw(st.integers(0, len(value)))
    cut = data.draw(st.integers(0, 3))
    insert = data.draw(st.text(max_size=4))
    headers[name] = value[:position] + insert + value[position + cut :]
    outcome("POST", INBOX, headers, ACTIVITY)


@FUZZ
@given(st.text(max_size=80), st.text(max_size=80))
def test_fuzz_urls_and_methods(url: str, method: str) -> None:
    outcome(method, url, SIGNED[Scheme.CAVAGE], ACTIVITY)
    outcome(method, url, SIGNED[Scheme.RFC9421], ACTIVITY)


@given(st.text(max_size=200))
def test_fuzz_structured_field_parser(text: str) -> None:
    with contextlib.suppress(StructuredFieldError):
        parse_dictionary(text)


def test_rsa_key_for_signing_is_rsa() -> None:
    # Keeps the module-level fixtures honest: the round trips above rely on these types.
    assert isinstance(RSA_KEY, rsa.RSAPrivateKey)
    assert isinstance(ED_KEY, ed25519.Ed25519PrivateKey)
