"""Where uploaded images live: one interface, a local folder or an S3-compatible store.

- By default the folder ``UPLOAD_FOLDER`` (``instance/uploads``): one machine.
- ``STORAGE_URL=s3://bucket/prefix``: any S3-compatible store (AWS, Aliyun OSS, Tencent COS,
  MinIO) through boto3; its address ``S3_ENDPOINT_URL`` (empty for AWS) and its keys from the
  usual ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_DEFAULT_REGION``. Every node
  reads and writes the same store, so an image uploaded through one is served by any.

A stored name is the content's hash and its kind (``<sha256>.png``): the same bytes are
stored once, and a name never changes its content, so it is served with a year's
``Cache-Control: public, max-age=31536000, immutable``. Pages link to ``/uploads/<name>``
(the app reads the store and answers), or, with ``STORAGE_PUBLIC_URL``, straight to the
store's own address (``STORAGE_PUBLIC_URL/<name>``, e.g. a CDN in front of the bucket).
"""

import hashlib
import os
import re
from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app, url_for

#: a stored name: a hash (or the random names of older uploads) and an image's extension
NAME_RE = re.compile(r"^[0-9a-f]{32,64}\.(jpg|png|webp)$")
CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
CACHE_CONTROL = "public, max-age=31536000, immutable"


def content_name(data: bytes, kind: str) -> str:
    return f"{hashlib.sha256(data).hexdigest()}.{kind}"


class Storage:
    """What every store does; names are checked against ``NAME_RE`` before any use."""

    def save(self, data: bytes, kind: str) -> str:
        """Keep ``data`` (an image of ``kind``); returns its name."""
        name = content_name(data, kind)
        if not self.exists(name):
            self.put(name, data)
        return name

    def put(self, name: str, data: bytes) -> None:
        raise NotImplementedError

    def read(self, name: str) -> bytes | None:
        """The stored bytes, or None when there is no such image."""
        raise NotImplementedError

    def exists(self, name: str) -> bool:
        raise NotImplementedError

    def delete(self, name: str) -> None:
        raise NotImplementedError

    def check(self) -> None:
        """Raise when the store cannot be used (``/readyz``)."""
        raise NotImplementedError


class LocalStorage(Storage):
    def __init__(self, folder: str):
        self.folder = Path(folder)

    def put(self, name: str, data: bytes) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        partial = self.folder / f".{name}.{os.getpid()}.part"
        partial.write_bytes(data)
        partial.replace(self.folder / name)  # readers never see half a file

    def path(self, name: str) -> Path | None:
        path = self.folder / name
        return path if NAME_RE.match(name) and path.is_file() else None

    def read(self, name: str) -> bytes | None:
        path = self.path(name)
        return path.read_bytes() if path else None

    def exists(self, name: str) -> bool:
        return self.path(name) is not None

    def delete(self, name: str) -> None:
        path = self.path(name)
        if path:
            path.unlink(missing_ok=True)

    def names(self) -> list[str]:
        if not self.folder.is_dir():
            return []
        return sorted(p.name for p in self.folder.iterdir() if NAME_RE.match(p.name))

    def check(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        if not os.access(self.folder, os.W_OK):
            raise OSError("the upload folder cannot be written")


class S3Storage(Storage):
    def __init__(self, bucket: str, prefix: str, client):
        self.bucket, self.prefix, self.client = bucket, prefix.strip("/"), client

    def key(self, name: str) -> str:
        return f"{self.prefix}/{name}" if self.prefix else name

    def put(self, name: str, data: bytes) -> None:
        kind = name.rsplit(".", 1)[-1]
        self.client.put_object(Bucket=self.bucket, Key=self.key(name), Body=data,
                               ContentType=CONTENT_TYPES.get(kind, "application/octet-stream"),
                               CacheControl=CACHE_CONTROL)

    def read(self, name: str) -> bytes | None:
        if not NAME_RE.match(name):
            return None
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self.key(name))
        except self.client.exceptions.NoSuchKey:
            return None
        return answer["Body"].read()

    def exists(self, name: str) -> bool:
        if not NAME_RE.match(name):
            return False
        try:
            self.client.head_object(Bucket=self.bucket, Key=self.key(name))
        except self.client.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def delete(self, name: str) -> None:
        if NAME_RE.match(name):
            self.client.delete_object(Bucket=self.bucket, Key=self.key(name))

    def check(self) -> None:
        self.client.head_bucket(Bucket=self.bucket)


def s3_client(endpoint_url: str | None):
    import boto3  # noqa: PLC0415 - only a shop with STORAGE_URL loads the AWS SDK
    from botocore.config import Config  # noqa: PLC0415

    return boto3.client("s3", endpoint_url=endpoint_url or None,
                        config=Config(connect_timeout=3, read_timeout=10,
                                      retries={"max_attempts": 2},
                                      s3={"addressing_style": "path"} if endpoint_url else {}))


def storage_from_config(config) -> Storage:
    url = config.get("STORAGE_URL")
    if not url:
        return LocalStorage(config["UPLOAD_FOLDER"])
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc:
        raise ValueError(f"STORAGE_URL must look like s3://bucket/prefix, not {url!r}")
    return S3Storage(parts.netloc, parts.path, s3_client(config.get("S3_ENDPOINT_URL")))


def storage() -> Storage:
    """The app's store (made once per app)."""
    store = current_app.extensions.get("shop_storage")
    if store is None:
        store = current_app.extensions["shop_storage"] = storage_from_config(current_app.config)
    return store


def upload_url(name: str) -> str:
    """Where a page links an uploaded image."""
    public = (current_app.config.get("STORAGE_PUBLIC_URL") or "").rstrip("/")
    if public:
        return f"{public}/{name}"
    return url_for("core.uploaded_file", filename=name)


def migrate_local_files(source: LocalStorage, target: Storage) -> tuple[int, int]:
    """Copy every image of the local folder the store lacks; returns (copied, already there)."""
    copied = present = 0
    for name in source.names():
        if target.exists(name):
            present += 1
            continue
        target.put(name, source.read(name))
        copied += 1
    return copied, present
