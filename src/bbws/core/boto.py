"""The one way adapters hold a boto3 client: the injected one, or one made on first use (never at import)."""

from __future__ import annotations

import threading
from typing import Any

import boto3


class LazyClient:
    def __init__(self, service: str, *, region: str, endpoint_url: str | None = None, client: Any = None) -> None:
        self.service, self.region, self.endpoint_url = service, region, endpoint_url
        self._client = client
        self._owned = client is None
        self._lock = threading.Lock()

    @property
    def made(self) -> bool:
        return self._client is not None

    def get(self) -> Any:
        if self._client is None:
            with self._lock:
                if self._client is None:
                    make: Any = boto3.client  # typed per literal service name; ours is a plain str
                    self._client = make(self.service, region_name=self.region, endpoint_url=self.endpoint_url)
        return self._client

    def close(self) -> None:
        """Close a client this object made (an injected one belongs to its owner)."""
        if self._owned and self._client is not None:
            self._client.close()
            self._client = None
