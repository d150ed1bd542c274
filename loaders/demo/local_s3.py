"""A real S3 API server on loopback (moto's server mode) for the demo, tests and benchmarks."""

from __future__ import annotations

import contextlib
import logging
import socket
from collections.abc import Iterator
from dataclasses import dataclass

# Dummy credentials for the local server only; moto accepts any key pair.
LOCAL_KEY_ID = "adwh-local"
LOCAL_SECRET = "adwh-local-secret"  # noqa: S105 - not a secret: loopback test server


@dataclass(frozen=True)
class LocalS3:
    endpoint_url: str
    region_name: str = "us-east-1"

    def client(self):
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=self.region_name,
            aws_access_key_id=LOCAL_KEY_ID,
            aws_secret_access_key=LOCAL_SECRET,
        )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def local_s3() -> Iterator[LocalS3]:
    """Run moto's S3 server on 127.0.0.1 for the duration of the block."""
    from moto.server import ThreadedMotoServer

    for name in ("werkzeug", "moto"):
        logging.getLogger(name).setLevel(logging.ERROR)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield LocalS3(endpoint_url=f"http://127.0.0.1:{port}")
    finally:
        server.stop()
