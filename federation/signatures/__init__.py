"""HTTP signatures: draft-cavage-http-signatures-12 and RFC 9421, signing and verifying.

Pure functions: no web server, no database. The caller fetches keys (`lookup_key`) and sends
requests; `signed_request_headers` gives the headers to add when sending.
"""

from federation.signatures.errors import Scheme, SignatureError, VerifiedSignature
from federation.signatures.message import HeaderInput
from federation.signatures.outgoing import (
    cavage_headers_for,
    rfc9421_components_for,
    signed_request_headers,
)
from federation.signatures.verify import (
    DEFAULT_MAX_SKEW,
    KeyLookup,
    PendingVerification,
    SyncKeyLookup,
    prepare_verification,
    verify_request,
    verify_request_sync,
)

__all__ = [
    "DEFAULT_MAX_SKEW",
    "HeaderInput",
    "KeyLookup",
    "PendingVerification",
    "Scheme",
    "SignatureError",
    "SyncKeyLookup",
    "VerifiedSignature",
    "cavage_headers_for",
    "prepare_verification",
    "rfc9421_components_for",
    "signed_request_headers",
    "verify_request",
    "verify_request_sync",
]
