"""An SMS provider whose sends, from any process, are lines of one file (``CLUSTER_SMS_LOG``):
what the outbox test counts across two Celery workers."""

import os
import time

from core.messaging import SmsProvider


class FileSms(SmsProvider):
    def send(self, to: str, body: str) -> str:
        time.sleep(0.02)  # a provider takes a moment: the two workers overlap
        line = f"{os.getpid()} {to}\n".encode()
        fd = os.open(os.environ["CLUSTER_SMS_LOG"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line)  # one write with O_APPEND: lines never interleave
        finally:
            os.close(fd)
        return f"file-{to}"
