"""A real S3 server on loopback for the tests: moto's server mode (HTTP, as boto3 talks to
AWS, OSS or COS), each bucket new."""

import socket
import uuid

import boto3
from moto.server import ThreadedMotoServer

#: the keys the tests' S3 server takes (it checks none)
S3_KEYS = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
           "AWS_DEFAULT_REGION": "us-east-1"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class S3Server:
    """moto's S3 in server mode on a loopback port: a real HTTP S3 endpoint."""

    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port,
                                          verbose=False)

    def start(self) -> "S3Server":
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def client(self):
        return boto3.client("s3", endpoint_url=self.url, region_name="us-east-1",
                            aws_access_key_id="test", aws_secret_access_key="test")

    def bucket(self) -> str:
        name = f"shop-{uuid.uuid4().hex[:10]}"
        self.client().create_bucket(Bucket=name)
        return name

