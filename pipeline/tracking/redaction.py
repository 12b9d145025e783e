"""Keep credentials out of MLflow params and tags.

Why: params and tags are visible to everyone with access to the tracking server and are copied
into exports; a flattened params.yaml or an environment-derived tag can carry an AWS key or a
token. Values are replaced by `REDACTED` (so a reader sees the key existed) when the key looks
like a credential, when the value contains the value of a credential-like environment variable,
and user:password in URIs is removed.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

REDACTED = "<redacted>"

# Matched against the lower-cased key (any part of a dotted name). Every AWS_* name is treated
# as secret for keys (cheap to over-redact); env *values* are only scanned for the strong names,
# or AWS_REGION=us-east-1 or RAY_AUTH_MODE=disabled would redact innocent params.
_STRONG_SECRET = r"secret|token|password|passwd|credential|api_?key|access_?key|private_?key"
_SECRET_KEY = re.compile(rf"({_STRONG_SECRET}|auth(?!or)|(^|[._])aws_)")
_SECRET_ENV = re.compile(_STRONG_SECRET)
_URI_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s]+@")
_MIN_SECRET_LEN = 6  # shorter env values ("1", "true") would redact innocent params


def is_secret_key(key: str) -> bool:
    """True when a param/tag/env-var name looks like it holds a credential."""
    return bool(_SECRET_KEY.search(key.lower()))


def redact_uri(text: str) -> str:
    """`https://user:pw@host/x` -> `https://<redacted>@host/x`; other text unchanged."""
    return _URI_USERINFO.sub(lambda m: m.group("scheme") + REDACTED + "@", text)


def _secret_env_values() -> list[str]:
    return [
        value
        for name, value in os.environ.items()
        if _SECRET_ENV.search(name.lower()) and len(value) >= _MIN_SECRET_LEN
    ]


def redact(values: Mapping[str, str]) -> dict[str, str]:
    """A copy of `values` (params or tags) with every credential replaced by `REDACTED`."""
    env_secrets = _secret_env_values()
    clean: dict[str, str] = {}
    for key, value in values.items():
        text = str(value)
        if is_secret_key(key) or any(secret in text for secret in env_secrets):
            clean[key] = REDACTED
        else:
            clean[key] = redact_uri(text)
    return clean
