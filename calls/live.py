"""What one running call holds (room, media, recorder, workers, scan and guidance state) and the call options."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from aiortc import RTCIceServer

from atrest.sealed import AtRestKey
from media.call import CallMedia
from media.frames import RelayMode
from media.ice import CandidatePolicy
from media.recorder import SessionRecorder
from signaling import messages as m
from signaling import room as r
from signaling.service import ClientLink
from signaling.tokens import Claims
from signaling.turn import TurnCredentials

from .analysis_pool import CallAnalysis
from .autoscan import AutoScanPolicy
from .guidance_pool import CallGuidance


@dataclass
class LiveCall:
    """Everything one running call holds."""

    session_id: str
    ticket_id: str
    room: r.Room
    media: CallMedia
    links: dict[str, ClientLink] = field(default_factory=dict)
    roles: dict[str, str] = field(default_factory=dict)
    recorder: SessionRecorder | None = None
    recording_started: bool = False
    recording_id: str | None = None
    analysis: CallAnalysis | None = None
    video_active: bool = False
    first_finding_offset: float | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    closing: bool = False  # set under `lock` when the call starts tearing down: joins then go to a fresh call
    finished: bool = False  # media closed and recording finalised (once)
    auto_scan: AutoScanPolicy = field(default_factory=AutoScanPolicy)
    scan: ScanInProgress | None = None
    guidance: GuidanceState = field(default_factory=lambda: GuidanceState())
    guide: CallGuidance | None = None


@dataclass
class GuidanceState:
    """The server's side of a call's annotation: pointer pacing, the freeze being captured, tracker figures."""

    pointer_at: dict[str, float] = field(default_factory=dict)  # participant -> time.monotonic() of the last dot
    freeze_timer: asyncio.TimerHandle | None = None
    freeze_scans: dict[str, str] = field(default_factory=dict)  # scan id -> the freeze its still is for
    tracked: int = 0  # tracker updates received
    tracker_cpu_s: float = 0.0


@dataclass
class ScanInProgress:
    """The server's side of the room's running scan: when it was asked, its timer, and the still once here."""

    scan_id: str
    asked_at: float  # time.monotonic()
    timer: asyncio.TimerHandle | None = None
    still: bytes = b""
    taken_at: float | None = None  # time.monotonic() of the shutter, as the page reported it


@dataclass(frozen=True)
class CallOptions:
    """What the root configures for calls."""

    recordings_dir: Path
    recording_enabled: bool
    node_id: str = ""  # stable across restarts; stamped on recordings so a restart recovers only its own
    at_rest_key: AtRestKey | None = None  # recordings are sealed with it (encryption at rest); None: plain
    video_codec: str = "VP8"
    drop_rate: float = 0.0
    relay_mode: RelayMode = "packets"  # media/forward.py ("packets") or aiortc's senders ("frames")
    media_factory: Callable[[str], CallMedia] | None = None  # benches swap in the stock aiortc pipeline
    ice_servers: tuple[RTCIceServer, ...] = ()
    candidates: CandidatePolicy = field(default_factory=CandidatePolicy)  # which remote ICE addresses we contact
    participant_ice_servers: tuple[m.IceServer, ...] = ()  # STUN (and legacy static TURN) for browsers, on join
    turn: TurnCredentials | None = None  # per-participant TURN credentials, handed out on join
    turn_for_server: bool = False  # the server's own ICE agent allocates on the TURN server too
    credential_deadline: Callable[[Claims], float] = lambda claims: claims.expires_at  # TURN credentials expire then
    auto_scan_interval_s: float = 15.0  # 0: the server never asks for a scan by itself
    scan_timeout_s: float = 30.0  # a scan whose photo has not arrived by then has failed
    on_session_ended: Callable[[str, str], Awaitable[None]] | None = None  # (session, actor): revoke its tokens
