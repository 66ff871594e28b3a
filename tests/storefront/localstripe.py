"""A real localstripe server for the payment tests, and signed webhook payloads.

localstripe differs from Stripe in places; those differences live here, in the test
configuration, never in the shop: it cannot filter lists by ``created``, it writes its
store to /tmp unless told not to, and it has no Alipay or WeChat Pay objects (those
events are signed locally).
"""

import json
import socket
import subprocess
import sys
import time
import urllib.request

import stripe

SECRET_KEY = "sk_test_shop"
PUBLISHABLE_KEY = "pk_test_shop"
WEBHOOK_SECRET = "whsec_test_shop"

#: start localstripe without its pickle store on disk (tests reset it through its API)
_BOOT = (
    "import sys, localstripe.resources as r\n"
    "r.Store.dump_to_disk = lambda self: None\n"
    "sys.argv = ['localstripe', '--port', sys.argv[1], '--from-scratch']\n"
    "from localstripe.server import start\n"
    "start()\n"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalStripe:
    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen([sys.executable, "-c", _BOOT, str(self.port)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(200):
            try:
                self.request("DELETE", "/_config/data")
                return
            except OSError:
                time.sleep(0.05)
        self.process.kill()
        raise RuntimeError("localstripe did not start")

    def request(self, method: str, path: str, data: dict | None = None):
        body = json.dumps(data).encode() if data is not None else None
        req = urllib.request.Request(self.url + path, data=body, method=method, headers={
            "Content-Type": "application/json", "Authorization": f"Bearer {SECRET_KEY}"})
        with urllib.request.urlopen(req, timeout=10) as response:
            text = response.read()
            return json.loads(text) if text.strip().startswith(b"{") else None

    def reset(self):
        self.request("DELETE", "/_config/data")
        # Webhooks outlive a data reset: point any left from a test at nowhere.
        self.request("POST", "/_config/webhooks/shop", {
            "url": "http://127.0.0.1:9/", "secret": WEBHOOK_SECRET, "events": ["none"]})

    def client(self) -> stripe.StripeClient:
        return stripe.StripeClient(SECRET_KEY, base_addresses={"api": self.url},
                                   max_network_retries=0)

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


def app_config(server: LocalStripe) -> dict:
    return {
        "STRIPE_SECRET_KEY": SECRET_KEY, "STRIPE_PUBLISHABLE_KEY": PUBLISHABLE_KEY,
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET, "STRIPE_API_BASE": server.url,
        "STRIPE_JS_URL": server.url + "/js.stripe.com/v3/",
        "STRIPE_LIST_FILTERS_CREATED": False, "STRIPE_MAX_NETWORK_RETRIES": 0,
    }


def signed(event: dict, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None):
    """The body and headers Stripe would send for ``event``."""
    payload = json.dumps(event)
    header = stripe.WebhookSignature.generate_signature_header(
        payload, secret, timestamp=timestamp or int(time.time()))
    return payload, {"Stripe-Signature": header, "Content-Type": "application/json"}


def event(kind: str, obj: dict, event_id: str | None = None) -> dict:
    import uuid

    return {"id": event_id or f"evt_{uuid.uuid4().hex[:16]}", "object": "event", "type": kind,
            "created": int(time.time()), "data": {"object": obj}}
