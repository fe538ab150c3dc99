import pytest

from lensdesk.settings import Settings
from media.peer import ice_servers_from


def test_browser_style_entries_become_aiortc_servers(monkeypatch):
    monkeypatch.setenv("LENSDESK_ICE_SERVERS", '[{"urls": "stun:stun.example.com:3478"}, '
                       '{"urls": ["turn:turn.example.com:3478?transport=udp"], "username": "u", "credential": "p"}]')
    servers = ice_servers_from(Settings().ice_servers)
    assert servers[0].urls == "stun:stun.example.com:3478" and servers[0].username is None
    assert servers[1].urls == ["turn:turn.example.com:3478?transport=udp"]
    assert (servers[1].username, servers[1].credential) == ("u", "p")


def test_an_entry_without_urls_is_refused():
    with pytest.raises(ValueError, match="urls"):
        ice_servers_from([{"username": "u"}])
