"""Fail in seconds, before training starts, when MLflow cannot be used.

Why a probe of our own: MLflow's REST client retries a refused connection with exponential
backoff for minutes, and the first call comes from inside the training loop — so an unreachable
server would surface long after the cluster was allocated. One plain HTTP GET of the server's
`/health` endpoint with a short timeout answers the question at once.
"""

from __future__ import annotations

import logging
import os
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from pipeline.tracking.config import sqlite_path
from pipeline.tracking.errors import TrackingError
from pipeline.tracking.redaction import redact_uri

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 3.0


def check_tracking_reachable(uri: str, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
    """Raise `TrackingError` naming `uri` unless a run could be logged there.

    http(s): the server answers `/health` within `timeout_s` (any answer below 500 other than
    401/403 counts: a reverse proxy may not route `/health`). sqlite: the database's directory
    exists and is writable (and the file, if present). Other schemes are not probed.
    An http(s) URI with `user:password@` is refused: MLflow takes credentials from the
    environment, and a URI is logged and copied into outputs.
    """
    if uri.startswith(("http://", "https://")):
        _refuse_userinfo(uri)
        _check_http(uri, timeout_s)
    elif (db := sqlite_path(uri)) is not None:
        _check_writable_file(db, uri)
    elif "://" not in uri:
        _check_writable_dir(Path(uri.removeprefix("file:")), uri)
    else:
        log.debug("not probing tracking URI %s (scheme without a probe)", redact_uri(uri))


def _refuse_userinfo(uri: str) -> None:
    # Without this, urllib takes `user:pw@host` for the host name: "Name or service not known".
    if urlsplit(uri).username is not None:
        raise TrackingError(
            f"MLflow tracking URI {redact_uri(uri)}: credentials in the URI are not accepted; "
            "remove `user:password@` and set MLFLOW_TRACKING_USERNAME and "
            "MLFLOW_TRACKING_PASSWORD (or MLFLOW_TRACKING_TOKEN) instead"
        )


def _check_http(uri: str, timeout_s: float) -> None:
    shown = redact_uri(uri)
    url = uri.rstrip("/") + "/health"
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            log.debug("MLflow server %s answered /health with %s", shown, response.status)
            return
    except urllib.error.HTTPError as err:
        if err.code in (401, 403):
            raise TrackingError(
                f"MLflow tracking server {shown} refused access (HTTP {err.code}); set "
                "MLFLOW_TRACKING_USERNAME/MLFLOW_TRACKING_PASSWORD or MLFLOW_TRACKING_TOKEN"
            ) from None
        if err.code >= 500:
            raise TrackingError(
                f"MLflow tracking server {shown} is unhealthy (HTTP {err.code} from /health)"
            ) from None
        return  # 404 etc.: something answers; the real API calls will tell the rest
    except (urllib.error.URLError, OSError) as err:
        reason = getattr(err, "reason", err)
        raise TrackingError(
            f"MLflow tracking server {shown} is unreachable ({reason}) — start it "
            "(see infra/) or unset MLFLOW_TRACKING_URI to use the local sqlite store"
        ) from None


def _check_writable_file(db: Path, uri: str) -> None:
    _check_writable_dir(db.parent, uri)
    if db.exists() and not os.access(db, os.W_OK):
        raise TrackingError(f"MLflow database {db} (tracking URI {uri}) is not writable")


def _check_writable_dir(directory: Path, uri: str) -> None:
    if not directory.is_dir():
        raise TrackingError(f"directory {directory} of tracking URI {uri} does not exist")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise TrackingError(f"directory {directory} of tracking URI {uri} is not writable")
