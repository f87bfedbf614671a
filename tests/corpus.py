"""The corpus of real-world shapes (tests/fixtures/corpus): loading and serving its fixtures.

Each fixture file is one server's actor and what that server sends, in an order that makes
sense (the actor follows us, accepts our Follow, creates, updates, undoes, deletes). Its URLs are
written with placeholders, filled in here: `{{ORIGIN}}` the fake server's origin on loopback,
`{{PLACE}}` our place (`{{PLACE_HOST_PATH}}` without its scheme), `{{FOLLOW}}` the id of the
Follow our place sent, `{{PEM}}` and `{{MULTIKEY}}` the test keys' public halves. A fixture
with a `proofKeyId` (servers that sign FEP-8b32 integrity proofs, like Fedify's) gets its
activities proved with that Multikey; `signatureScheme` says how its requests are signed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from federation.keys import ed25519_public_key_to_multibase, public_key_to_pem
from federation.proofs import sign_document

CORPUS = Path(__file__).parent / "fixtures" / "corpus"


def corpus_names() -> list[str]:
    return sorted(path.stem for path in CORPUS.glob("*.json"))


def load_fixture(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((CORPUS / f"{name}.json").read_text(encoding="utf-8"))
    return loaded


def fill(value: Any, values: dict[str, str]) -> Any:
    """`value` with every `{{NAME}}` in its strings replaced."""
    if isinstance(value, str):
        for name, text in values.items():
            value = value.replace("{{" + name + "}}", text)
        return value
    if isinstance(value, list):
        return [fill(item, values) for item in value]
    if isinstance(value, dict):
        return {key: fill(item, values) for key, item in value.items()}
    return value


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


@dataclass
class FilledFixture:
    name: str
    actor: dict[str, Any]
    key_id: str
    documents: dict[str, dict[str, Any]]  # other documents the server serves, by path
    activities: list[dict[str, Any]]
    proof_key: ed25519.Ed25519PrivateKey
    proof_key_id: str | None = None
    signature_scheme: str = "draft-cavage-http-signatures-12"
    values: dict[str, str] = field(default_factory=dict)

    def activity(self, index: int, **more: str) -> dict[str, Any]:
        """The activity with the placeholders known now (`FOLLOW` once our Follow is sent),
        with an integrity proof when the server makes them."""
        filled: dict[str, Any] = fill(self.activities[index], {**self.values, **more})
        if self.proof_key_id is None:
            return filled
        return sign_document(filled, self.proof_key, self.proof_key_id)


def filled_fixture(
    name: str,
    origin: str,
    place: str,
    key: rsa.RSAPrivateKey,
    proof_key: ed25519.Ed25519PrivateKey,
) -> FilledFixture:
    raw = load_fixture(name)
    values = {
        "ORIGIN": origin,
        "PLACE": place,
        "PLACE_HOST_PATH": place.split("://", 1)[-1],
        "PEM": public_key_to_pem(key),
        "MULTIKEY": ed25519_public_key_to_multibase(proof_key),
    }
    actor = fill(raw["actor"], values)
    return FilledFixture(
        name=name,
        actor=actor,
        key_id=fill(raw["keyId"], values),
        documents={
            path: fill(document, values) for path, document in raw.get("documents", {}).items()
        },
        activities=raw["activities"],
        proof_key=proof_key,
        proof_key_id=fill(raw["proofKeyId"], values) if "proofKeyId" in raw else None,
        signature_scheme=raw.get("signatureScheme", "draft-cavage-http-signatures-12"),
        values=values,
    )
