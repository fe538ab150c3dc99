"""The one configuration object of lensdesk, read from LENSDESK_* environment variables."""

from __future__ import annotations

import secrets
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from atrest.sealed import AtRestKey
from diagnostics.config import DiagnosticsConfig
from media.frames import RelayMode


class Settings(BaseSettings):
    """All configuration; created once in the composition root and passed down."""

    model_config = SettingsConfigDict(env_prefix="LENSDESK_", env_file=None, extra="ignore")

    host: str = Field("127.0.0.1", description="Address the HTTP/WebSocket server binds to.")
    port: int = Field(8080, description="Port the HTTP/WebSocket server listens on.")
    data_dir: Path = Field(Path("./data"), description="Where the database, recordings and snapshots live.")
    public_url: str = Field("", description="Base URL used in join links; defaults to http(s)://host:port.")
    tls_cert_file: str = Field("", description="PEM certificate to serve HTTPS directly (phones need HTTPS for cameras).")
    tls_key_file: str = Field("", description="PEM private key for tls_cert_file.")
    secret_key: str = Field("", description="HMAC key for role tokens; generated and kept in data_dir if empty.")
    database_url: str = Field("", description="SQLAlchemy async URL; defaults to SQLite in data_dir.")
    node_id: str = Field("", description="Stable id of this node (recordings, room claims); default: hostname-port.")
    redis_url: str = Field("", description="Redis URL for multi-node signaling; empty = in-process bus.")
    recording_key: str = Field("", description="Base64 of 32 random bytes: recordings, their segments and posters, "
                                                "snapshots and examples are encrypted at rest with it (AES-256-GCM); "
                                                "empty = stored plain.", repr=False)
    node_ttl_s: int = Field(5, ge=2, description="A node whose heartbeat (each second) is silent this long is dead: its "
                                                 "rooms are re-homed. A restart under the same id is seen at once.")
    join_in_flight: int = Field(8, ge=1, description="Joins this node works on at once; the others wait their turn.")
    join_queue_depth: int = Field(1000, ge=0, description="Joins that may wait for their turn on this node; beyond "
                                                          "it a join is refused with `busy` and a retry_after_ms.")
    join_queue_wait_s: float = Field(10.0, gt=0, description="How long a join may wait for its turn before it is "
                                                             "refused with `busy` (the pages try again).")
    max_calls: int = Field(0, description="Calls this node runs before it takes no new rooms (placement, /readyz); "
                                          "0 = no limit.")
    max_cpu_load: float = Field(0.0, description="1-minute load average per CPU above which this node takes no new "
                                                 "rooms; 0 = no limit (the load is still published and ranks nodes).")
    max_analysis_backlog: int = Field(0, description="Frames waiting for analysis above which this node takes no "
                                                     "new rooms; 0 = no limit.")
    allowed_origins: list[str] = Field(default_factory=list, description="Extra origins allowed to open the WebSocket.")
    ice_servers: list[dict[str, str | list[str]]] = Field(
        default_factory=list,
        description='STUN servers for browsers and the server, e.g. [{"urls": "stun:stun.example.com:3478"}]; '
                    'entries with a username/credential are only handed to participants, never published. '
                    'Prefer turn_urls + turn_secret for TURN.')
    turn_urls: list[str] = Field(
        default_factory=list,
        description='TURN server URLs, e.g. ["turn:turn.example.com:3478?transport=udp"]; every participant gets its '
                    'own short-lived credentials for them on join (coturn use-auth-secret).')
    turn_secret: str = Field("", description="coturn's static-auth-secret shared with lensdesk (TURN REST API).")
    turn_for_server: bool = Field(False, description="The server's own ICE agent also allocates on the TURN server "
                                                     "(only needed when the server itself is behind NAT).")
    ice_allowed_cidrs: list[str] = Field(
        default_factory=list,
        description='Remote ICE candidate ranges the server may contact although they are loopback/private/'
                    'link-local/CGNAT/unique-local (refused by default), e.g. ["192.168.10.0/24"] for a LAN.')
    ice_peer_cidrs: list[str] = Field(
        default_factory=list,
        description='If set, the only networks the server exchanges media with: candidates elsewhere are refused and '
                    'datagrams from elsewhere dropped, e.g. ["10.8.0.0/16"] for a VPN-only on-premises deployment '
                    '(the tests set ["127.0.0.0/8"]).')
    ice_host_addresses: list[str] = Field(
        default_factory=list,
        description='Local addresses the server gathers ICE host candidates on (default: every interface), e.g. '
                    '["203.0.113.7"] to keep media on the public interface.')
    technician_token_ttl_s: int = Field(15 * 60, description="Lifetime of a technician token (the console refreshes it).")
    technician_session_max_s: int = Field(12 * 3600, description="Absolute end of a technician sign-in: refreshing "
                                                                 "never goes past it.")
    rejoin_max_s: int = Field(4 * 3600, description="Absolute lifetime of a customer's rejoin tokens, from the first "
                                                    "join (rejoining never extends it; the session ending kills them).")
    join_token_ttl_s: int = Field(30 * 60, description="Lifetime of a customer join link.")
    ws_max_message_bytes: int = Field(64 * 1024, description="Largest accepted signaling message.")
    ws_rate_per_s: float = Field(20.0, description="Sustained signaling messages per second per connection.")
    ws_rate_burst: int = Field(60, description="Burst of signaling messages allowed per connection.")
    ocr_languages: str = Field("eng+chi_sim", description="Tesseract languages for device screens.")
    ocr_script_languages: str = Field("jpn", description="Tesseract languages tried one at a time when the first "
                                                         "language reads a screen's words as garbage (another "
                                                         "script, e.g. Japanese); '+'-separated, empty = none.")
    second_recogniser: bool = Field(False, description="Read code crops Tesseract is unsure about with RapidOCR's "
                                                       "recognition model too.")
    line_detector: bool = Field(True, description="Find the text lines of a still view whose cheap passes found no "
                                                 "code with RapidOCR's detector (once per view) and read them with its "
                                                 "recognition model.")
    tessdata_path: str = Field("/usr/share/tesseract-ocr/5/tessdata/", description="Tesseract language data.")
    analysis_fps: float = Field(3.0, description="Frames per second sampled for error-screen analysis.")
    catalog_dir: str = Field("", description="Directory of extra code catalogs (*.yaml, *.yml, *.csv) loaded on top of "
                                               "the built-in ones; a bad file is logged and skipped. Empty = none.")
    analysis_workers: int = Field(0, description="Diagnostics worker processes; 0 = one less than the CPU count (min 1).")
    recording_enabled: bool = Field(True, description="Record sessions (announced to the customer).")
    webhook_url: str = Field("", description="Signed webhook receiving ticket events; empty = off.")
    webhook_secret: str = Field("", description="HMAC-SHA256 key for the webhook signature.")
    rt_url: str = Field("", description="Request Tracker 5 base URL (REST2); empty = off.")
    rt_user: str = Field("root", description="Request Tracker user.")
    rt_password: str = Field("", description="Request Tracker password.")
    rt_allow_insecure_http: bool = Field(False, description="Allow an http:// RT URL off loopback (the password "
                                         "then crosses the network in clear); off = https:// required.")
    max_body_bytes: int = Field(1024 * 1024, description="Largest request body of any route without its own limit "
                                "(413 beyond it); snapshot uploads have their own 5 MiB limit.")
    metrics_token: str = Field("", description="Bearer token a Prometheus scraper may use for /metrics instead of a "
                               "technician token; empty = technician tokens only.")
    outbox_max_attempts: int = Field(8, description="Delivery attempts before an event is dead-lettered.")
    outbox_retry_base_s: float = Field(1.0, gt=0, description="Wait before the second delivery attempt; doubles per "
                                                              "attempt up to outbox_retry_max_s.")
    outbox_retry_max_s: float = Field(300.0, gt=0, description="Longest wait between two delivery attempts.")
    outbox_lease_s: float = Field(30.0, gt=0, description="How long a claimed event waits before another worker "
                                                          "may take it (a node killed mid-delivery).")
    retention_days: int = Field(0, ge=0, description="Recordings and snapshots older than this are deleted (findings "
                                                     "stay; tickets on legal hold are kept); 0 = keep them.")
    retention_interval_s: float = Field(3600.0, gt=0, description="How often the retention job runs.")
    auto_scan_interval_s: float = Field(15.0, description="Least time between two scans the server asks for by "
                                        "itself (a code seen but not confirmed); 0 = never ask by itself.")
    scan_timeout_s: float = Field(30.0, description="A scan whose photo has not arrived by then has failed.")
    scan_max_bytes: int = Field(16 * 1024 * 1024, description="Largest scan photo accepted from a customer's page.")
    queue_target_answer_s: float = Field(60.0, description="Target time to answer a help request; a request waiting "
                                         "longer is flagged in the console and raised as a queue.breach ticket "
                                         "event (0 = no target).")
    queue_levels_window_s: float = Field(86_400.0, gt=0, description="Service levels (GET /api/queue/levels, the "
                                         "console, per-queue metrics) cover the help requests made within this "
                                         "many seconds.")
    help_request_token_ttl_s: int = Field(4 * 3600, description="Lifetime of the token a customer gets with a help "
                                          "request (to wait in the queue and join the call).")
    help_max_waiting_per_link: int = Field(5, description="Waiting requests one help link (sticker) may have at "
                                           "once; more are refused with 429 (a public sticker cannot flood the queue).")
    relay_mode: RelayMode = Field("packets", description="How media is relayed: 'packets' forwards each RTP packet "
                                  "as it arrives (rewritten per viewer), 'frames' reassembles frames and re-sends "
                                  "them through aiortc's senders.")
    test_drop_rate: float = Field(0.0, description="TEST ONLY: share of received RTP packets dropped.")
    test_max_send_height: int = Field(0, description="TEST ONLY: the customer's page sends live video at most this "
                                      "tall (0 = as the browser likes), e.g. 360 to show what scans add.")

    @property
    def base_url(self) -> str:
        """Public base URL for links."""
        scheme = "https" if self.tls_cert_file else "http"
        return self.public_url.rstrip("/") or f"{scheme}://{self.host}:{self.port}"

    @property
    def resolved_database_url(self) -> str:
        """Database URL with the SQLite default filled in."""
        return self.database_url or f"sqlite+aiosqlite:///{self.data_dir.resolve() / 'lensdesk.db'}"

    def at_rest_key(self) -> AtRestKey | None:
        """The key media is encrypted at rest with (None: stored plain); ValueError with a sentence if malformed."""
        return AtRestKey.from_base64(self.recording_key) if self.recording_key else None

    def diagnostics_config(self) -> DiagnosticsConfig:
        """The reader's configuration: live video, scans and re-analysis read alike."""
        return DiagnosticsConfig(languages=self.ocr_languages, tessdata_path=self.tessdata_path,
                                 sample_fps=self.analysis_fps, second_recogniser=self.second_recogniser,
                                 line_detector=self.line_detector, script_languages=self.ocr_script_languages,
                                 extra_catalog_dir=Path(self.catalog_dir) if self.catalog_dir else None)

    def resolved_secret(self) -> str:
        """Token key: the configured one, else one generated once and kept in data_dir (created 0600, atomically)."""
        if self.secret_key:
            return self.secret_key
        from .data_dir import create_private_file, prepare_data_dir

        key_file = prepare_data_dir(self.data_dir) / "secret.key"
        create_private_file(key_file, secrets.token_urlsafe(48).encode())  # loses a race harmlessly: read below
        return key_file.read_text().strip()
