"""A scan for credentials in config files: infra/ must get keys from roles or Secrets, never text."""

from __future__ import annotations

import re

# AWS access key ids, literal secret assignments, private keys, passwords inside URIs.
CREDENTIAL_PATTERNS = [
    re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b"),
    re.compile(r"(?i)aws_secret_access_key\s*[:=]\s*\S+"),
    re.compile(r"(?i)aws_access_key_id\s*[:=]\s*\S+"),
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"://[^/\s:@]+:[^/\s@]+@"),
]


def credential_findings(text: str) -> list[str]:
    """The substrings of `text` that look like credentials (empty when clean)."""
    return [m.group(0) for pattern in CREDENTIAL_PATTERNS for m in pattern.finditer(text)]
