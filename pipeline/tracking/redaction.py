"""Keep credentials out of MLflow params and tags.

Why: params and tags are visible to everyone with access to the tracking server and are copied
into exports. A value is replaced by `REDACTED` (so a reader sees the key existed) when its key
looks like a credential, and user:password in URIs is removed. Values are not scanned for the
environment's credentials here: a configured value holding one is refused before any stage
starts (`pipeline.io.credentials`), because redacting it in MLflow alone left it in run names,
folder names and logs, and a redacted run-name tag could no longer be found to resume the run.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

REDACTED = "<redacted>"

# Matched against the lower-cased key (any part of a dotted name). Every AWS_* name is treated
# as secret for keys (cheap to over-redact).
_STRONG_SECRET = r"secret|token|password|passwd|credential|api_?key|access_?key|private_?key"
_SECRET_KEY = re.compile(rf"({_STRONG_SECRET}|auth(?!or)|(^|[._])aws_)")
_URI_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s]+@")


def is_secret_key(key: str) -> bool:
    """True when a param/tag/env-var name looks like it holds a credential."""
    return bool(_SECRET_KEY.search(key.lower()))


def redact_uri(text: str) -> str:
    """`https://user:pw@host/x` -> `https://<redacted>@host/x`; other text unchanged."""
    return _URI_USERINFO.sub(lambda m: m.group("scheme") + REDACTED + "@", text)


def redact(values: Mapping[str, str]) -> dict[str, str]:
    """A copy of `values` (params or tags): secret-named keys' values `REDACTED`, URIs' userinfo
    removed."""
    return {
        key: REDACTED if is_secret_key(key) else redact_uri(str(value))
        for key, value in values.items()
    }
