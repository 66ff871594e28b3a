"""The race harness itself: it tells attempts that overlapped from attempts that ran in turn,
and a server that takes one request at a time fails a race test instead of passing it."""

import threading
import time

import pytest
from flask import Flask, jsonify
from werkzeug.serving import make_server

from tests.support.race import RanInTurn, overlapped, post_together


def test_overlap_is_any_two_spans_open_at_once():
    assert overlapped([(0, 2), (1, 3)])
    assert overlapped([(5, 6), (0, 10), (20, 21)])  # one long span holds another
    assert not overlapped([(0, 1), (1, 2), (3, 4)])  # one after the other
    assert not overlapped([(3, 4)])


@pytest.fixture()
def server():
    """A tiny app whose one endpoint takes a moment, served one request at a time or not."""
    started = []

    def start(threaded: bool):
        app = Flask(__name__)

        @app.post("/slow")
        def slow():
            time.sleep(0.05)
            return jsonify(ok=True), 201

        srv = make_server("127.0.0.1", 0, app, threaded=threaded)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        started.append(srv)
        return app, f"http://127.0.0.1:{srv.server_port}/slow"

    yield start
    for srv in started:
        srv.shutdown()


def test_a_threaded_server_races(server):
    app, url = server(threaded=True)
    answers = post_together(url, [("t", b"{}")] * 6, app=app)
    assert answers == [(201, {"ok": True})] * 6


def test_a_server_taking_one_request_at_a_time_fails_the_race(server):
    app, url = server(threaded=False)
    with pytest.raises(RanInTurn):
        post_together(url, [("t", b"{}")] * 6, app=app)
