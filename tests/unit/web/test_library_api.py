"""The library's paging over HTTP: cursors in and out, an exact count on request, a bad cursor as a problem."""

from __future__ import annotations

from tests.unit.web.conftest import Api, assert_problem


async def test_pages_by_cursor_and_refuses_a_bad_one_with_a_problem(api: Api) -> None:
    made = []
    for i in range(5):
        ticket = await api.ticket(f"Printer {i}")
        made.append((await api.session(ticket["id"]))["session"]["id"])
    first = (await api.client.get("/api/library/sessions", params={"limit": 2}, headers=api.tech)).json()
    assert first["total"] == 5 and first["prev_cursor"] is None and first["next_cursor"]
    seen = [r["session_id"] for r in first["items"]]
    page = first
    while page["next_cursor"]:
        response = await api.client.get("/api/library/sessions", headers=api.tech,
                                         params={"limit": 2, "cursor": page["next_cursor"], "count": "none"})
        assert response.status_code == 200, response.text
        page = response.json()
        assert page["total"] is None
        seen += [r["session_id"] for r in page["items"]]
    assert sorted(seen) == sorted(made) and len(seen) == 5
    exact = (await api.client.get("/api/library/sessions", params={"limit": 1, "count": "exact"},
                                  headers=api.tech)).json()
    assert (exact["total"], exact["more_than_total"]) == (5, False)
    for params in ({"cursor": "bm90IGEgY3Vyc29y"}, {"cursor": first["next_cursor"], "sort": "technician"},
                   {"cursor": first["next_cursor"], "offset": 2}):
        body = assert_problem(await api.client.get("/api/library/sessions", params=params, headers=api.tech), 422)
        assert body["errors"][0]["field"] in ("cursor", "offset"), body
