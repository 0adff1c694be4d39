"""Object storage: S3 or any S3-compatible server, or a local folder (`file://`)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from shared.settings import Settings


class ObjectStore:
    """Put and get whole objects; `s3://bucket/key` or `file:///path` URIs name them."""

    def __init__(self, settings: Settings) -> None:
        self.bucket = settings.s3_bucket
        endpoint = settings.s3_endpoint_url
        self.root: Path | None = None
        self._client: Any = None
        if endpoint and endpoint.startswith("file://"):
            self.root = Path(urlparse(endpoint).path) / self.bucket
        else:
            self._client = boto3.client(
                "s3",
                endpoint_url=endpoint,
                region_name=settings.s3_region,
                aws_access_key_id=settings.s3_access_key_id,
                aws_secret_access_key=settings.s3_secret_access_key,
                config=Config(
                    s3={"addressing_style": "path"},
                    retries={"max_attempts": 3, "mode": "standard"},
                    connect_timeout=5,
                    read_timeout=30,
                ),
            )

    @property
    def endpoint(self) -> str:
        return f"file://{self.root}" if self.root else str(self._client.meta.endpoint_url)

    def ensure_bucket(self) -> None:
        if self.root:
            self.root.mkdir(parents=True, exist_ok=True)
            return
        try:
            self._client.head_bucket(Bucket=self.bucket)
        except ClientError:
            self._client.create_bucket(Bucket=self.bucket)

    def check(self) -> None:
        """Raise unless the bucket is reachable."""
        if self.root:
            if not self.root.is_dir():
                raise FileNotFoundError(f"storage folder {self.root} is missing")
            return
        self._client.head_bucket(Bucket=self.bucket)

    def put(
        self, key: str, data: bytes, content_type: str, metadata: dict[str, str] | None = None
    ) -> str:
        if self.root:
            path = self.root / key
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(path.suffix + ".tmp")
            tmp.write_bytes(data)
            tmp.replace(path)
            return f"file://{path}"
        self._client.put_object(
            Bucket=self.bucket,
            Key=key,
            Body=data,
            ContentType=content_type,
            Metadata=metadata or {},
        )
        return f"s3://{self.bucket}/{key}"

    def get(self, uri_or_key: str) -> bytes:
        key = self.key_of(uri_or_key)
        if self.root:
            return (self.root / key).read_bytes()
        return self._client.get_object(Bucket=self.bucket, Key=key)["Body"].read()

    def key_of(self, uri_or_key: str) -> str:
        parsed = urlparse(uri_or_key)
        if parsed.scheme == "s3":
            return parsed.path.lstrip("/")
        if parsed.scheme == "file" and self.root:
            return str(Path(parsed.path).relative_to(self.root))
        return uri_or_key

    async def aput(
        self, key: str, data: bytes, content_type: str, metadata: dict[str, str] | None = None
    ) -> str:
        return await asyncio.to_thread(self.put, key, data, content_type, metadata)

    async def aget(self, uri_or_key: str) -> bytes:
        return await asyncio.to_thread(self.get, uri_or_key)

    async def acheck(self) -> None:
        await asyncio.to_thread(self.check)
