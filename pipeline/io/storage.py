"""Bytes in and out of a local path or an ``s3://bucket/key`` URI — the pipeline's one storage seam.

Why one module: every stage (prepare, train checkpoints, evaluate) reads and writes through the
same four verbs, so S3 is configured in exactly one way: the standard ``AWS_ENDPOINT_URL``
(or ``AWS_ENDPOINT_URL_S3``) environment variable plus the usual ``AWS_*`` credentials, which are
never logged. Writes are atomic: a local file is written under a temporary name and renamed; an
S3 object only appears once its upload has completed, and callers write their manifest last.
"""

from __future__ import annotations

import functools
import logging
import os
from pathlib import Path

from pipeline.io.atomic import TEMP_NAME, write_atomic
from pipeline.io.errors import DataError
from pipeline.io.processes import process_alive

log = logging.getLogger(__name__)

S3_SCHEME = "s3://"


def is_s3(uri: str) -> bool:
    """True for an ``s3://bucket/key`` URI, False for a local path."""
    return str(uri).startswith(S3_SCHEME)


def join(base: str, *names: str) -> str:
    """Join path parts for either kind of location (S3 keys always use ``/``)."""
    if is_s3(base):
        return "/".join([str(base).rstrip("/"), *[n.strip("/") for n in names]])
    return str(Path(base, *names))


def split_s3(uri: str) -> tuple[str, str]:
    """``s3://bucket/a/b`` → ``("bucket", "a/b")``; raises DataError without a bucket."""
    rest = str(uri)[len(S3_SCHEME) :]
    bucket, _, key = rest.partition("/")
    if not bucket:
        raise DataError(uri, "S3 URI has no bucket name")
    return bucket, key


def s3_endpoint() -> str | None:
    """The S3 endpoint override from the environment, or None for AWS itself."""
    return os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL") or None


def s3_client():  # -> botocore client; untyped to keep boto3 an import-time-optional dependency
    """A boto3 S3 client with retries, for the endpoint and credentials currently in the env."""
    return _cached_client(
        s3_endpoint(),
        os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION") or "us-east-1",
        os.environ.get("AWS_ACCESS_KEY_ID"),
    )


@functools.lru_cache(maxsize=8)
def _cached_client(endpoint: str | None, region: str, _access_key_id: str | None):
    # The access key id is part of the cache key only so a changed identity gets a new client.
    import boto3
    from botocore.config import Config

    config = Config(
        retries={"max_attempts": 5, "mode": "standard"},
        connect_timeout=10,
        read_timeout=60,
        # Path-style addressing works with every S3-compatible store (MinIO, SeaweedFS, Ceph).
        s3={"addressing_style": "path"} if endpoint else {},
    )
    log.debug("creating S3 client (endpoint=%s, region=%s)", endpoint or "AWS default", region)
    return boto3.client("s3", endpoint_url=endpoint, region_name=region, config=config)


@functools.lru_cache(maxsize=8)
def _probe_client(endpoint: str | None, region: str, _access_key_id: str | None):
    # Short timeouts and one retry: a preflight must fail in seconds, not after the minutes of
    # back-off the working client (rightly) spends on a transient error mid-run.
    import boto3
    from botocore.config import Config

    config = Config(
        retries={"max_attempts": 2, "mode": "standard"},
        connect_timeout=PROBE_TIMEOUT_S,
        read_timeout=PROBE_TIMEOUT_S,
        s3={"addressing_style": "path"} if endpoint else {},
    )
    return boto3.client("s3", endpoint_url=endpoint, region_name=region, config=config)


PROBE_TIMEOUT_S = 3


def check_reachable(uri: str) -> None:
    """For an ``s3://`` URI: DataError naming `uri` unless its bucket exists and answers.

    Why: stages call this before any work starts (before Ray, before decoding a dataset), so a
    typo in a bucket name, a missing endpoint or missing credentials fails in seconds with the
    URI in the message instead of deep inside a worker. Local paths are not checked here.
    """
    if not is_s3(uri):
        return
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    bucket, _ = split_s3(uri)
    endpoint = s3_endpoint()
    where = f"S3 endpoint {endpoint}" if endpoint else "AWS S3"
    region = os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION") or "us-east-1"
    client = _probe_client(endpoint, region, os.environ.get("AWS_ACCESS_KEY_ID"))
    try:
        client.head_bucket(Bucket=bucket)
    except ClientError as err:
        code = str(err.response.get("Error", {}).get("Code", "error"))
        if code in ("404", "NoSuchBucket", "NotFound"):
            raise DataError(uri, f"bucket {bucket!r} does not exist at {where}") from err
        if code in ("403", "AccessDenied", "Forbidden"):
            raise DataError(uri, f"access to bucket {bucket!r} denied at {where} "
                            "(check the AWS credentials)") from err  # fmt: skip
        raise DataError(uri, f"bucket {bucket!r} check failed at {where} ({code})") from err
    except NoCredentialsError as err:
        raise DataError(uri, "no AWS credentials found (standard AWS chain)") from err
    except BotoCoreError as err:
        raise DataError(uri, f"cannot reach {where} ({type(err).__name__})") from err


def read_bytes(uri: str) -> bytes:
    """The whole content of a file or S3 object; DataError naming `uri` if it cannot be read."""
    if is_s3(uri):
        from botocore.exceptions import BotoCoreError, ClientError

        bucket, key = split_s3(uri)
        try:
            return s3_client().get_object(Bucket=bucket, Key=key)["Body"].read()
        except ClientError as err:
            code = err.response.get("Error", {}).get("Code", "error")
            raise DataError(uri, f"cannot read S3 object ({code})") from err
        except BotoCoreError as err:
            raise DataError(uri, f"cannot read S3 object ({type(err).__name__}: {err})") from err
    path = Path(uri)
    problem = _not_a_regular_file(path)
    if problem:  # checked first: reading a FIFO named like an image would block forever
        raise DataError(str(uri), problem)
    try:
        return path.read_bytes()
    except OSError as err:
        raise DataError(str(uri), f"cannot read file ({err.strerror or err})") from err


def _not_a_regular_file(path: Path) -> str | None:
    """Why an existing entry at `path` is not a readable file (None: a file, or missing)."""
    if path.is_symlink() and not path.exists():
        return "broken symbolic link (its target does not exist)"
    if path.is_dir():
        return "is a folder, not a file"
    if path.exists() and not path.is_file():
        return "not a regular file (a FIFO, socket or device)"
    return None


def write_bytes_atomic(uri: str, data: bytes) -> None:
    """Write `data` so that readers see either the old content or all of the new, never half."""
    if is_s3(uri):
        bucket, key = split_s3(uri)
        try:
            s3_client().put_object(Bucket=bucket, Key=key, Body=data)
        except Exception as err:  # botocore raises many types; the message names the URI
            raise DataError(uri, f"cannot write S3 object ({type(err).__name__})") from err
        return
    path = Path(uri)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, lambda tmp: tmp.write_bytes(data))


def remove_abandoned_temp_files(folder: str) -> list[str]:
    """Delete `write_bytes_atomic` temp files in a local `folder` whose writer no longer runs.

    A SIGKILLed writer cannot remove its `.NAME.<pid>.<random>.tmp`; the next run does (S3
    puts are atomic, so there is nothing to clean there). Returns the names removed.
    """
    if is_s3(folder) or not Path(folder).is_dir():
        return []
    removed = []
    for entry in Path(folder).glob(".*.tmp"):
        match = TEMP_NAME.fullmatch(entry.name)
        if match is None or process_alive(int(match["pid"])):
            continue
        entry.unlink(missing_ok=True)
        removed.append(entry.name)
    if removed:
        log.warning("removed %d temp file(s) left in %s by killed runs", len(removed), folder)
    return removed


def exists(uri: str) -> bool:
    """True if the file or S3 object exists."""
    if is_s3(uri):
        from botocore.exceptions import ClientError

        bucket, key = split_s3(uri)
        try:
            s3_client().head_object(Bucket=bucket, Key=key)
            return True
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise DataError(uri, "cannot check S3 object") from err
    return Path(uri).exists()


def list_names(prefix: str) -> list[str]:
    """Sorted names (not full URIs) of the files directly under a folder or S3 prefix."""
    if is_s3(prefix):
        return _s3_listing(prefix)[0]
    path = Path(prefix)
    return sorted(p.name for p in path.iterdir() if p.is_file()) if path.is_dir() else []


def list_entries(prefix: str) -> list[str]:
    """Sorted names of everything directly under a folder or S3 prefix, not only files.

    Why beside `list_names`: an input listing must see a folder named ``x.png`` or a broken
    symbolic link, so that reading it fails with its name instead of it vanishing silently.
    Locally: files, folders, links (broken or not), FIFOs…; on S3: objects and sub-prefixes.
    """
    if is_s3(prefix):
        objects, sub_prefixes = _s3_listing(prefix)
        return sorted(objects + sub_prefixes)
    path = Path(prefix)
    return sorted(p.name for p in path.iterdir()) if path.is_dir() else []


def _s3_listing(prefix: str) -> tuple[list[str], list[str]]:
    """(sorted object names, sorted sub-prefix names) directly under an S3 prefix."""
    bucket, key = split_s3(prefix)
    key = key.rstrip("/") + "/" if key else ""
    objects: list[str] = []
    sub_prefixes: list[str] = []
    paginator = s3_client().get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=key, Delimiter="/"):
        objects += [obj["Key"][len(key) :] for obj in page.get("Contents", [])]
        sub_prefixes += [p["Prefix"][len(key) :].rstrip("/") for p in page.get("CommonPrefixes", [])]
    return sorted(objects), sorted(sub_prefixes)


def delete(uri: str) -> None:
    """Remove a file or S3 object if present (used to drop shards no manifest refers to)."""
    if is_s3(uri):
        bucket, key = split_s3(uri)
        s3_client().delete_object(Bucket=bucket, Key=key)
    else:
        Path(uri).unlink(missing_ok=True)
