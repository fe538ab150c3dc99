"""Device help links and the live queue against a real server process over real sockets: stickers that scan, a
help token that opens nothing else, several customers and technicians (skills, limits, picks), places kept across
drops and a restart, a target breach raised as a ticket event, service levels as API and metrics."""

from __future__ import annotations

import json
import time
from pathlib import Path
from urllib.parse import urlsplit

import cv2
import httpx
import numpy as np
import pytest
from websockets.sync.client import ClientConnection, connect

from signaling.tokens import Role
from testkit.polling import wait_until
from testkit.servers import ServerProcess, running_server
from testkit.session_client import next_of_type, recv_json

pytestmark = pytest.mark.slow


def help_token(url: str) -> str:
    return urlsplit(url).fragment.removeprefix("h=")


def ask(server: ServerProcess, token: str, name: str, words: str = "", media: str = "voice") -> dict:
    reply = httpx.post(f"{server.url}/api/help/requests", headers={"Authorization": f"Bearer {token}"},
                       json={"name": name, "description": words, "media": media, "language": "en"})
    assert reply.status_code == 201, reply.text
    return reply.json()


def customer(server: ServerProcess, request: dict) -> ClientConnection:
    conn = server.ws("/ws/queue")
    conn.send(json.dumps({"type": "queue_hello", "token": request["token"]}))
    return conn


def technician(server: ServerProcess, tech_id: str, **hello: object) -> ClientConnection:
    conn = server.ws("/ws/queue")
    token = server.tokens.issue_technician(tech_id, tech_id.upper())
    conn.send(json.dumps({"type": "queue_hello", "token": token, **hello}))
    return conn


def supervisor(server: ServerProcess) -> dict[str, str]:
    return {"Authorization": f"Bearer {server.tokens.issue_staff(Role.SUPERVISOR, 'sup1', 'Sue')}"}


def test_stickers_scan_and_a_help_token_opens_nothing_else(tmp_path: Path) -> None:
    with running_server(tmp_path / "data", env={"LENSDESK_MAX_CALLS": "1"}) as server:
        tech = supervisor(server)  # stickers are managed by supervisors
        assert httpx.post(f"{server.url}/api/help-links", json={"family": "printer", "model": "X"},
                          headers={"Authorization": f"Bearer {server.technician_token()}"}).status_code == 403
        link = httpx.post(f"{server.url}/api/help-links", headers=tech,
                          json={"family": "printer", "model": "LaserJet 4000", "serial": "CN123",
                                "site": "ACME Leeds"}).json()
        other = httpx.post(f"{server.url}/api/help-links", headers=tech,
                           json={"family": "boiler", "model": "B1"}).json()
        assert link["url"].startswith(f"{server.url}/help#h=")
        png = httpx.get(f"{server.url}/api/help-links/{link['id']}/sticker.png", headers=tech)
        assert png.status_code == 200 and png.headers["content-type"] == "image/png"
        image = cv2.imdecode(np.frombuffer(png.content, np.uint8), cv2.IMREAD_GRAYSCALE)
        assert image is not None, "the sticker is not a PNG OpenCV reads"
        # The printed code reads back (OpenCV's two decoders; either is a scanner that works on it).
        assert link["url"] in {cv2.QRCodeDetectorAruco().detectAndDecode(image)[0],
                               cv2.QRCodeDetector().detectAndDecode(image)[0]}
        svg = httpx.get(f"{server.url}/api/help-links/{link['id']}/sticker.svg", headers=tech)
        assert svg.status_code == 200 and b"LaserJet 4000" in svg.content and b"S/N CN123" in svg.content
        pdf = httpx.post(f"{server.url}/api/help-links/sheet.pdf", headers=tech, json={"ids": [link["id"], other["id"]]})
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF") and pdf.content.count(b"/Type /Page\n") == 1

        token = help_token(link["url"])
        helper = {"Authorization": f"Bearer {token}"}
        device = httpx.get(f"{server.url}/api/help/device", headers=helper)
        assert device.json() == {"family": "printer", "model": "LaserJet 4000", "serial": "CN123",
                                 "site": "ACME Leeds", "label": ""}
        # The help token opens nothing else ...
        for method, path in (("GET", "/api/tickets"), ("GET", "/api/queue"), ("GET", "/api/help-links"),
                             ("GET", "/api/me"), ("POST", "/api/tokens/refresh"), ("GET", "/metrics")):
            assert httpx.request(method, server.url + path, headers=helper).status_code == 401, path
        request = ask(server, token, "Ann", "E52 and beeping")
        with connect(server.url.replace("http", "ws") + "/ws", open_timeout=5) as call:
            call.send(json.dumps({"type": "join", "token": token, "session_id": request["session_id"]}))
            assert recv_json(call)["code"] == "token_invalid"
        with server.ws("/ws/queue") as conn:
            conn.send(json.dumps({"type": "queue_hello", "token": token}))
            assert recv_json(conn)["code"] == "token_invalid"
        # ... and no other token opens the help routes.
        assert httpx.get(f"{server.url}/api/help/device", headers=tech).status_code == 401
        customer_token = {"Authorization": f"Bearer {request['token']}"}
        assert httpx.get(f"{server.url}/api/help/device", headers=customer_token).status_code == 401
        # The ticket carries the device and the customer's words.
        ticket = httpx.get(f"{server.url}/api/tickets", headers=tech).json()["items"][0]  # supervisors read tickets
        assert ticket["title"] == "LaserJet 4000 S/N CN123: E52 and beeping" and ticket["external_ref"] == "ACME Leeds"
        # Revoked: the sticker no longer asks for help, and says so.
        assert httpx.post(f"{server.url}/api/help-links/{link['id']}/revoke", headers=tech).status_code == 200
        gone = httpx.get(f"{server.url}/api/help/device", headers=helper)
        assert gone.status_code == 410 and "no longer in use" in gone.json()["detail"]
        assert httpx.post(f"{server.url}/api/help/requests", headers=helper,
                          json={"name": "Eve"}).status_code == 410
        # Admission: with its one call running the node refuses a new call at once, with a retry hint; the queue
        # holds a request instead of handing it to a technician, and says so.
        waiting = ask(server, help_token(other["url"]), "Dee", "leaking")
        tech_token = server.technician_token()
        ws_url = server.url.replace("http", "ws") + "/ws"
        with connect(ws_url, open_timeout=5) as first:
            first.send(json.dumps({"type": "join", "token": tech_token, "session_id": request["session_id"]}))
            assert recv_json(first)["type"] == "welcome"
            with connect(ws_url, open_timeout=5) as second:
                started = time.monotonic()
                second.send(json.dumps({"type": "join", "token": tech_token, "session_id": waiting["session_id"]}))
                refused = recv_json(second)
                assert time.monotonic() - started < 1.0
            assert (refused["code"], refused["fatal"], refused["retry_after_ms"]) == ("no_capacity", True, 30000)
            assert "try again in 30 s" in refused["message"]
            with technician(server, "t1") as console, customer(server, waiting) as page:
                deadline = time.monotonic() + 10
                while next_of_type(console, "queue_snapshot")["admitting"] and time.monotonic() < deadline:
                    pass
                assert next_of_type(page, "queue_position")["position"] == 2  # waits (behind Ann's): not handed to t1
                assert httpx.get(f"{server.url}/readyz").json()["reasons"] == ["overloaded_calls"]
                first.send(json.dumps({"type": "bye", "end_session": True}))
                # the call ends (and with it Ann's request), the node has room again: the request goes to t1
                assert next_of_type(page, "queue_assigned", timeout=15)["technician_id"] == "t1"


def test_customers_and_technicians_through_the_queue_with_a_restart(tmp_path: Path) -> None:
    env = {"LENSDESK_QUEUE_TARGET_ANSWER_S": "1"}
    data = tmp_path / "data"
    with running_server(data, env=env) as server:
        tech = {"Authorization": f"Bearer {server.technician_token()}"}
        printer = help_token(httpx.post(f"{server.url}/api/help-links", headers=supervisor(server),
                                        json={"family": "printer", "model": "P1"}).json()["url"])
        boiler = help_token(httpx.post(f"{server.url}/api/help-links", headers=supervisor(server),
                                       json={"family": "boiler", "model": "B1"}).json()["url"])
        watcher = server.ws("/ws/queue")  # a supervisor's console sees the queue and can take nothing
        watcher.send(json.dumps({"type": "queue_hello", "token": supervisor(server)["Authorization"][7:]}))
        assert next_of_type(watcher, "queue_snapshot")["requests"] == []
        r1 = ask(server, boiler, "Ann", "no heat")
        r2 = ask(server, printer, "Bob", "paper jam", media="video")
        r3 = ask(server, boiler, "Cem", "noise")
        c1, c2, c3 = customer(server, r1), customer(server, r2), customer(server, r3)
        # Nobody online: places, and no estimate rather than a wrong one.
        assert next_of_type(c1, "queue_position")["position"] == 1
        assert next_of_type(c2, "queue_position") == {"v": 1, "type": "queue_position", "request_id": r2["request_id"],
                                                  "position": 2, "eta_s": None, "callback_number": ""}
        assert next_of_type(c3, "queue_position")["position"] == 3
        # A breach past the 1 s target reaches the consoles and the outbox.
        printer_tech = technician(server, "tp", families=["printer"], limit=1, presence="busy")
        breach = next_of_type(printer_tech, "queue_breach")
        assert breach["target_s"] == 1.0 and breach["waited_s"] >= 1.0
        events = [e for status in ("pending", "delivered") for e in httpx.get(
            f"{server.url}/api/outbox", params={"status": status}, headers=tech).json()["items"]]
        assert "queue.breach" in {e["type"] for e in events}
        # Available: the printer technician gets the printer request although two boiler requests waited longer.
        printer_tech.send(json.dumps({"type": "queue_presence", "presence": "available"}))
        assigned = next_of_type(printer_tech, "queue_assigned")
        assert (assigned["request_id"], assigned["media"], assigned["picked"]) == (r2["request_id"], "video", False)
        assert next_of_type(c2, "queue_assigned")["session_id"] == r2["session_id"]
        # Customer 3 drops and comes back: still behind customer 1.
        c3.close()
        c3 = customer(server, r3)
        assert next_of_type(c3, "queue_position")["position"] == 2
        # A generalist, busy, picks the second boiler request by hand; above the limit a pick is refused.
        general = technician(server, "tg", presence="busy", limit=1)
        next_of_type(general, "queue_snapshot")
        general.send(json.dumps({"type": "queue_pick", "request_id": r3["request_id"]}))
        assert next_of_type(general, "queue_assigned")["picked"] is True
        general.send(json.dumps({"type": "queue_pick", "request_id": r1["request_id"]}))
        assert next_of_type(general, "error")["code"] == "at_limit"
        assert next_of_type(c1, "queue_position")["position"] == 1
        c1.send(json.dumps({"type": "queue_callback", "number": "+44 20 7946 0000"}))
        assert next_of_type(c1, "queue_position")["callback_number"] == "+44 20 7946 0000"
        while {t["id"] for t in next_of_type(watcher, "queue_snapshot", timeout=5)["technicians"]} != {"tp", "tg"}:
            pass  # an older snapshot: the next one says more
        watcher.send(json.dumps({"type": "queue_pick", "request_id": r1["request_id"]}))
        assert next_of_type(watcher, "error")["code"] == "not_allowed"
        for conn in (c1, c2, c3, printer_tech, general, watcher):
            conn.close()
    # A restart keeps the waiting request, its place and its call-back number; answered ones stay answered.
    with running_server(data, env=env) as server:
        tech = {"Authorization": f"Bearer {server.technician_token()}"}
        snapshot = httpx.get(f"{server.url}/api/queue", headers=tech).json()
        states = {r["id"]: (r["state"], r["callback_number"]) for r in snapshot["requests"]}
        assert states == {r1["request_id"]: ("waiting", "+44 20 7946 0000"), r2["request_id"]: ("assigned", ""),
                          r3["request_id"]: ("assigned", "")}
        c1 = customer(server, r1)
        assert next_of_type(c1, "queue_position")["position"] == 1
        # The printer call ends: handle time counted; then customer 1 gives up: abandonment.
        assert httpx.post(f"{server.url}/api/sessions/{r2['session_id']}/end", headers=tech).status_code == 200
        c1.send(json.dumps({"type": "queue_cancel"}))
        assert next_of_type(c1, "queue_closed")["reason"] == "cancelled"
        c1.close()
        levels = httpx.get(f"{server.url}/api/queue/levels", headers=tech).json()
        # From the store over the last day (not since this restart): 2 answered, 1 abandoned; per device family.
        assert (levels["waiting"], levels["answered"], levels["abandoned"], levels["abandonment_rate"]) == (
            0, 2, 1, 0.333)
        assert levels["mean_handle_s"] is not None and levels["window_s"] == 86400
        assert {f["family"]: (f["answered"], f["abandoned"]) for f in levels["families"]} == {
            "boiler": (1, 1), "printer": (1, 0)}
        # the counters come from the store (every node reads them each tick): the same after the restart
        expected = ("lensdesk_queue_abandoned_total 1.0", "lensdesk_queue_answered_total 2.0",
                    "lensdesk_queue_handle_seconds_count 1.0",
                    'lensdesk_queue_family_abandonment_ratio{family="boiler"} 0.5')
        wait_until(lambda: all(line in httpx.get(f"{server.url}/metrics", headers=tech).text for line in expected),
                   within_s=10, what="the queue's counters on /metrics")
