"""Composition root: builds every part from Settings and wires them into one FastAPI app."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import dataclasses
import logging
import os
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from atrest.sealed import AtRestKey
from calls.admission import AdmittingCallService
from calls.analysis_pool import AnalysisPool
from calls.live import CallOptions
from calls.manager import CallManager
from calls.recordings import recover_recordings
from diagnostics.catalog import load_catalogs
from helpqueue.front import QueueFront
from media.call import CallMedia
from media.host_addresses import gather_host_candidates_on
from media.ice import CandidatePolicy
from media.peer import ice_servers_from
from media.recording.clip import cut_clip
from media.stats import RELAY
from nodesync.catalogs import CatalogService
from nodesync.revocations import Revoker
from reanalysis.jobs import ReanalysisSetup, reanalysis_service
from signaling import messages as m
from signaling.bus import Bus, BusUnavailable, InProcessBus, RedisBus
from signaling.connection import WsLimits
from signaling.join_gate import JoinGate, JoinLimits
from signaling.placement import Limits, NodeLoad, refusals
from signaling.routing import BUS_DOWN_JOIN, RoomActionError, RoutedCallService, relayed_claims
from signaling.service import CallService
from signaling.tokens import Claims, TokenService
from signaling.turn import TurnCredentials
from tickets.connectors.base import Connector
from tickets.outbox import OutboxWorker
from tickets.records import FindingRecord
from tickets.store import TicketStore
from web.auth import TokenAuth
from web.auth_gate import AuthGate
from web.body_limit import install_body_limit
from web.catalog_api import build_catalog_router
from web.help_api import build_help_router
from web.pages import build_pages_router, static_files
from web.problems import install_problem_handlers
from web.queue_api import build_queue_router
from web.queue_ws import build_queue_ws_router
from web.reanalysis_api import build_reanalysis_router
from web.scans_api import StillMeta, StillRefused, build_scans_router
from web.security_headers import SecurityHeaders
from web.tickets_api import build_router as build_tickets_router
from web.ws import LiveConnections, build_ws_router

from .admin import build_admin_router, verify_admin_credential
from .data_dir import prepare_data_dir
from .logs import install_token_redaction
from .loop_lag import LoopLagMonitor
from .metrics import QueueCollector, build_metrics_router
from .settings import Settings

log = logging.getLogger("lensdesk")


@dataclass
class Services:
    """The long-lived parts, reachable from tests and benches via app.state.services."""

    settings: Settings
    tokens: TokenService
    store: TicketStore
    calls: CallManager
    catalog: CatalogService
    revoker: Revoker
    connections: LiveConnections
    queue: QueueFront


def build_connectors(settings: Settings) -> list[Connector]:
    """External ticket-system connectors enabled by configuration."""
    connectors: list[Connector] = []
    if settings.webhook_url:
        if not settings.webhook_secret:
            raise ValueError("LENSDESK_WEBHOOK_URL is set but LENSDESK_WEBHOOK_SECRET is empty: receivers could not "
                             "verify the events. Set a shared secret.")
        # imported when configured: httpx brings its command line (click, rich, pygments) along, ~0.3 s a start
        from tickets.connectors.webhook import WebhookConnector

        connectors.append(WebhookConnector(settings.webhook_url, settings.webhook_secret))
    if settings.rt_url:
        from tickets.connectors.rt import RequestTrackerConnector

        connectors.append(RequestTrackerConnector(settings.rt_url, settings.rt_user, settings.rt_password,
                                                  allow_insecure_http=settings.rt_allow_insecure_http))
    return connectors


def reanalysis_setup(settings: Settings, data_dir: Path, at_rest_key: AtRestKey | None) -> ReanalysisSetup:
    """What re-analysis jobs need of this node (data_dir: resolved)."""
    return ReanalysisSetup(settings.resolved_database_url, data_dir, settings.diagnostics_config(), at_rest_key,
                           settings.redis_url or None, settings.node_id)


def token_service(settings: Settings) -> TokenService:
    """The token service of these settings (the server and the CLI must agree on lifetimes)."""
    return TokenService(settings.resolved_secret(), settings.technician_token_ttl_s, settings.join_token_ttl_s,
                        technician_max_s=settings.technician_session_max_s, rejoin_max_s=settings.rejoin_max_s)


def browser_ice_servers(settings: Settings) -> tuple[m.IceServer, ...]:
    """The configured ICE servers as participants get them on join (LENSDESK_ICE_SERVERS, browser format)."""
    ice_servers_from(settings.ice_servers)  # the same validation (every entry has urls) as for the server
    return tuple(m.IceServer(urls=[e["urls"]] if isinstance(e["urls"], str) else list(e["urls"]),
                             username=str(e["username"]) if "username" in e else None,
                             credential=str(e["credential"]) if "credential" in e else None)
                 for e in settings.ice_servers)


def create_app(settings: Settings, *, media_factory: Callable[[str], CallMedia] | None = None) -> FastAPI:
    """The lensdesk application for these settings (media_factory: benches compare other media pipelines)."""
    install_token_redaction()
    data_dir = prepare_data_dir(settings.data_dir)  # umask 0077 from here on: customer data is owner-only
    recordings_dir = data_dir / "recordings"
    tokens = token_service(settings)
    at_rest_key = settings.at_rest_key()  # before anything is written: a malformed key stops the start here
    store = TicketStore(settings.resolved_database_url, data_dir, at_rest_key)
    # One bus for room routing, catalog edits and revocations (Redis when several nodes share it).
    bus: Bus = RedisBus(settings.redis_url) if settings.redis_url else InProcessBus()
    revoker = Revoker(store, tokens, bus)
    connections = LiveConnections()
    revoker.add_listener(connections.revoked)
    diag_config = settings.diagnostics_config()
    catalogs = load_catalogs(diag_config.catalog_path, diag_config.extra_catalog_dir)
    for problem in catalogs.problems:
        log.warning("catalog: %s", problem)
    analysis_pool = AnalysisPool(diag_config, settings.analysis_workers or max(1, (os.cpu_count() or 2) - 1),
                              catalog=catalogs.catalog)
    gather_host_candidates_on(settings.ice_host_addresses)
    turn = TurnCredentials(tuple(settings.turn_urls), settings.turn_secret) if settings.turn_urls else None
    server_ice = [e for e in settings.ice_servers if "credential" not in e] if turn is not None else settings.ice_servers
    node_id = settings.node_id or f"{socket.gethostname()}-{settings.port}"
    # The queue assigns a request only while a node admits new calls (node_load and routed are defined below).
    help_queue = QueueFront(store, bus, node_id, target_answer_s=settings.queue_target_answer_s,
                            admitting=lambda: cluster_admits(), lease_ttl_s=settings.node_ttl_s,
                            levels_window_s=settings.queue_levels_window_s)
    reanalysis = reanalysis_service(reanalysis_setup(settings, data_dir, at_rest_key))  # rq over Redis, or in-process

    async def session_over(session_id: str, actor: str) -> None:
        """A session ended (on this node's call or over REST): its tokens die, its help request's call is over."""
        await revoker.session_ended(session_id, actor)
        await help_queue.session_ended(session_id)
    calls = CallManager(store, CallOptions(recordings_dir=recordings_dir, recording_enabled=settings.recording_enabled,
                                           node_id=node_id, at_rest_key=at_rest_key,
                                           drop_rate=settings.test_drop_rate, relay_mode=settings.relay_mode,
                                           media_factory=media_factory,
                                           ice_servers=tuple(ice_servers_from(server_ice)),
                                           candidates=CandidatePolicy(settings.ice_allowed_cidrs, settings.ice_peer_cidrs),
                                           participant_ice_servers=browser_ice_servers(settings),
                                           turn=turn, turn_for_server=settings.turn_for_server,
                                           auto_scan_interval_s=settings.auto_scan_interval_s,
                                           scan_timeout_s=settings.scan_timeout_s,
                                           credential_deadline=tokens.stay_deadline,
                                           on_session_ended=session_over), analysis_pool,
                        join_gate=JoinGate(JoinLimits(settings.join_in_flight, settings.join_queue_depth,
                                                      settings.join_queue_wait_s)))
    loop_lag = LoopLagMonitor()
    # One node: the call manager serves the WebSocket directly. Several nodes: rooms are routed over Redis.
    limits = Limits(settings.max_calls, settings.max_cpu_load, settings.max_analysis_backlog)
    draining: list[bool] = []

    def node_load() -> NodeLoad:
        """This node's load as placement and /readyz judge it (CPU: load average per CPU, as LiveKit's sysload)."""
        return NodeLoad(node_id, len(calls.calls), os.getloadavg()[0] / (os.cpu_count() or 1), analysis_pool.backlog(),
                        bool(draining), limits)

    routed = RoutedCallService(calls, bus, tokens, node_id, load=node_load,
                               node_ttl_s=settings.node_ttl_s,
                               relayed_join_wait_s=settings.join_queue_wait_s + 5) if settings.redis_url else None
    catalog = CatalogService(catalogs.catalog, store.catalog, bus, analysis_pool.update_catalog)

    def cluster_admits() -> bool:
        """Some node takes new calls (placement sends an answered request's call there)."""
        if not refusals(node_load()):
            return True
        return routed is not None and any(not refusals(load) for load in routed.cluster_loads.values())
    services = Services(settings, tokens, store, calls, catalog, revoker, connections, help_queue)
    # One node: refuse new calls past its limits at once (with Redis, placement does: another node, or a refusal).
    service: CallService = routed if routed is not None else AdmittingCallService(
        calls, calls.is_live, lambda: refusals(node_load()))

    # REST actions on a live call run on the node that runs it (over the bus when that is another node).
    async def announce_here(session_id: str, args: dict[str, Any]) -> dict[str, Any]:
        record = await store.get_finding(str(args["finding_id"]))
        if record is not None:
            await calls.announce_finding(record)
        return {}

    async def end_here(session_id: str, args: dict[str, Any]) -> dict[str, Any]:
        await calls.end_session(session_id, str(args.get("actor", "")))
        return {}

    async def offset_here(session_id: str, args: dict[str, Any]) -> dict[str, Any]:
        return {"offset_s": calls.recording_offset(session_id)}

    async def still_here(session_id: str, args: dict[str, Any]) -> dict[str, Any]:
        try:
            await calls.accept_still(session_id, str(args["scan_id"]), relayed_claims(args["claims"], session_id),
                                     base64.b64decode(args["data"]), StillMeta(**args["meta"]))
        except StillRefused as exc:
            raise RoomActionError(exc.code, exc.message, exc.status) from exc
        return {}

    async def on_owner(name: str, session_id: str, args: dict[str, Any],
                       here: Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]) -> dict[str, Any]:
        """Run here if this node runs the call (or nobody does), else on the node that does."""
        if routed is None:
            return await here(session_id, args)
        return await routed.act(name, session_id, args)

    async def announce_finding(record: FindingRecord) -> None:
        try:
            await on_owner("announce_finding", record.session_id, {"finding_id": record.id}, announce_here)
        except (BusUnavailable, RoomActionError) as exc:
            # The finding is stored either way; the console shows it on its next refresh.
            log.warning("session %s: finding not pushed to the call's node (%s)", record.session_id, exc)

    async def end_session(session_id: str, actor: str) -> None:
        await help_queue.session_ended(session_id)
        try:
            await on_owner("end_session", session_id, {"actor": actor}, end_here)
        except (BusUnavailable, RoomActionError) as exc:
            # Stored as ended and its tokens revoked: the call's node ends it when its participants are refused.
            log.warning("session %s: end not delivered to the call's node (%s)", session_id, exc)

    async def recording_offset(session_id: str) -> float | None:
        try:
            offset = (await on_owner("recording_offset", session_id, {}, offset_here)).get("offset_s")
        except (BusUnavailable, RoomActionError) as exc:
            log.warning("session %s: no recording offset from the call's node (%s)", session_id, exc)
            return None
        return float(offset) if offset is not None else None

    class RoutedScans:
        """Scan photos go to the node running the call, wherever they are uploaded."""

        async def accept_still(self, session_id: str, scan_id: str, claims: Claims, data: bytes,
                               meta: StillMeta) -> None:
            if routed is None or calls.is_live(session_id):
                await calls.accept_still(session_id, scan_id, claims, data, meta)
                return
            args = {"scan_id": scan_id, "claims": {**dataclasses.asdict(claims), "role": claims.role.value},
                    "data": base64.b64encode(data).decode("ascii"), "meta": dataclasses.asdict(meta)}
            try:
                await routed.act("accept_still", session_id, args)
            except RoomActionError as exc:
                raise StillRefused(exc.status, exc.code, exc.message) from exc
            except BusUnavailable as exc:
                raise StillRefused(503, BUS_DOWN_JOIN[0], BUS_DOWN_JOIN[1]) from exc

    if routed is not None:
        for name, action in (("announce_finding", announce_here), ("end_session", end_here),
                             ("recording_offset", offset_here), ("accept_still", still_here)):
            routed.register_action(name, action)

    hurry, drained = asyncio.Event(), asyncio.Event()

    async def drain(grace_s: float = 0.0) -> None:
        """Stop taking new rooms; let running calls end for up to grace_s; then give claims up, tell every
        remaining participant to reconnect elsewhere and finalise the calls. A second call skips the grace."""
        if draining:
            hurry.set()
            await drained.wait()
            return
        draining.append(True)
        if routed is not None:
            await routed.announce_load()  # other nodes place no new room here from now on
        if grace_s > 0 and calls.calls:
            log.info("draining: waiting up to %.0f s for %d calls to end", grace_s, len(calls.calls))
            deadline = asyncio.get_running_loop().time() + grace_s
            while calls.calls and not hurry.is_set() and asyncio.get_running_loop().time() < deadline:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(hurry.wait(), 0.2)
        log.info("draining: %d calls told to reconnect to another node", len(calls.calls))
        try:
            if routed is not None:
                await routed.drain()
            await calls.close()
        finally:
            drained.set()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        loop_lag.start()
        await store.migrate()
        if routed is not None:
            # Start the analysis workers before taking rooms: spawning them blocks the event loop until each child
            # has booted (seconds on a busy machine), long enough for other nodes to think this one died.
            await asyncio.to_thread(analysis_pool.start)
        await recover_recordings(store, recordings_dir, node_id, at_rest_key)
        resumed = await store.lifecycle.resume()  # an erase a crash interrupted finishes before anything else
        if resumed:
            log.info("finished %d erasure/retention jobs a stop had interrupted", resumed)
        swept = await store.sweep_orphan_snapshots()
        if swept:
            log.info("removed %d snapshot files a crash left without a finding", swept)
        worker = OutboxWorker(store, build_connectors(settings), max_attempts=settings.outbox_max_attempts,
                              base_delay_s=settings.outbox_retry_base_s, max_delay_s=settings.outbox_retry_max_s,
                              lease_s=settings.outbox_lease_s)
        task = asyncio.create_task(worker.run(), name="outbox")
        if routed is not None:
            try:
                await routed.start()
            except Exception as exc:
                raise RuntimeError(f"Cannot reach Redis at LENSDESK_REDIS_URL={settings.redis_url!r}: {exc}") from exc
            log.info("node %s routing rooms over Redis", routed.node_id)
        await revoker.start()  # before any connection is accepted: what is revoked stays revoked after a restart
        await catalog.start()
        await help_queue.start()
        retention = asyncio.create_task(_retention_loop(store, settings.retention_days, settings.retention_interval_s),
                                        name="retention") if settings.retention_days > 0 else None
        log.info("lensdesk ready on %s (data in %s)", settings.base_url, data_dir)
        try:
            yield
        finally:
            await drain()
            if retention is not None:
                await _cancel_within(retention, OUTBOX_STOP_S)
            await help_queue.stop()
            await catalog.stop()
            if routed is not None:
                await routed.stop()
            await revoker.stop()
            await bus.close()
            await _cancel_within(task, OUTBOX_STOP_S)
            await worker.aclose()
            await asyncio.to_thread(analysis_pool.close)
            reanalysis.close()
            await store.close()
            await loop_lag.stop()

    # No /docs or /redoc: they load scripts from a CDN, which the pages' CSP forbids; /openapi.json needs a
    # technician token (see web/auth_gate.py).
    app = FastAPI(title="lensdesk", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="Real-time video support and remote diagnosis server.")
    app.state.services = services
    app.state.drain = drain  # the server runs it on SIGTERM before it closes connections (see cli.py)
    app.state.request_exit = None  # set by `lensdesk serve`: stop the server as SIGTERM does
    install_problem_handlers(app)
    # The last added runs first: headers on everything, then the token check, then body limits.
    install_body_limit(app, settings.max_body_bytes)
    secret = settings.resolved_secret()
    app.add_middleware(AuthGate, verify=tokens.verify, metrics_token=settings.metrics_token,
                       verify_admin=lambda credential: verify_admin_credential(secret, credential),
                       verify_help=tokens.verify_help)
    app.add_middleware(SecurityHeaders, tls=bool(settings.tls_cert_file))

    def redis_state() -> str:
        # "up" once every channel is subscribed again: before that, messages relayed to this node are lost.
        return "off" if not settings.redis_url else "up" if bus.subscribed else "down"

    @app.get("/healthz", tags=["ops"])
    async def health() -> JSONResponse:
        """Alive; 'degraded' while Redis is configured but unreachable (calls here go on, relaying does not).

        With Redis: `nodes` is the cluster as this node sees it for placing rooms (calls, whether it takes rooms).
        """
        redis = redis_state()
        body: dict[str, Any] = {"status": "degraded" if redis == "down" else "ok", "calls": len(calls.calls),
                                "redis": redis}
        if routed is not None:
            body["node"] = node_id
            body["nodes"] = {n: {"calls": load.calls, "refusals": refusals(load)}
                             for n, load in sorted(routed.cluster_loads.items())}
        return JSONResponse(body)

    @app.get("/readyz", tags=["ops"])
    async def ready() -> JSONResponse:
        """Whether this node should be given new rooms (503 with the reasons when not)."""
        reasons = (["redis_unreachable"] if redis_state() == "down" else []) + refusals(node_load())
        return JSONResponse({"ready": not reasons, "reasons": reasons}, status_code=503 if reasons else 200)

    app.include_router(build_tickets_router(store, tokens, base_url=settings.base_url,
                                            join_ttl_s=settings.join_token_ttl_s,
                                            on_finding_attached=announce_finding,
                                            on_finding_dismissed=announce_finding,
                                            on_session_ended=end_session,
                                            recording_offset=recording_offset,
                                            revoke=lambda rev, actor, sid: revoker.revoke(rev, actor=actor,
                                                                                          session_id=sid),
                                            cut_clip=lambda src, out, start, end, webm: cut_clip(
                                                src, out, start, end, webm=webm).start_s,
                                            retention_days=settings.retention_days,
                                            retention_interval_s=settings.retention_interval_s))
    app.include_router(build_ws_router(service, tokens, WsLimits(settings.ws_max_message_bytes, settings.ws_rate_per_s,
                                                               settings.ws_rate_burst),
                                       [settings.base_url, *settings.allowed_origins], connections))
    def request_exit() -> None:
        if app.state.request_exit is not None:
            app.state.request_exit()

    app.include_router(build_admin_router(drain, request_exit))
    auth = TokenAuth(tokens)
    app.include_router(build_help_router(store, tokens, auth, base_url=settings.base_url,
                                         request_token_ttl_s=settings.help_request_token_ttl_s,
                                         max_open_per_link=settings.help_max_waiting_per_link,
                                         enqueue=help_queue.enqueue))
    app.include_router(build_queue_router(help_queue, store, auth))
    app.include_router(build_reanalysis_router(reanalysis, store, auth))
    app.include_router(build_queue_ws_router(help_queue, tokens, WsLimits(settings.ws_max_message_bytes,
                                                                       settings.ws_rate_per_s, settings.ws_rate_burst),
                                             [settings.base_url, *settings.allowed_origins]))
    app.include_router(build_catalog_router(catalog, TokenAuth(tokens)))
    app.include_router(build_metrics_router(calls, RELAY, extra=[catalog.collector(analysis_pool.worker_catalog_versions),
                                                                    QueueCollector(help_queue)],
                                            loop_lag=loop_lag))
    app.include_router(build_scans_router(TokenAuth(tokens), RoutedScans(), max_bytes=settings.scan_max_bytes))
    app.include_router(build_pages_router(recording_enabled=settings.recording_enabled,
                                          ice_servers=settings.ice_servers,
                                          max_send_height=settings.test_max_send_height))
    app.mount("/static", static_files(), name="static")
    return app


OUTBOX_STOP_S = 5.0


async def _retention_loop(store: TicketStore, days: int, interval_s: float) -> None:
    """Apply the retention policy now and every interval_s (a failed run is logged and retried next time)."""
    while True:
        try:
            job = await store.lifecycle.apply_retention(days)
            if job is not None:
                log.info("retention: removed %d files older than %d days", len(job.files), days)
        except Exception:
            log.exception("retention run failed")
        await asyncio.sleep(interval_s)


async def _cancel_within(task: asyncio.Task[None], within_s: float) -> None:
    """Cancel task and wait at most within_s (cancelling again if it swallowed one): a stop must not hang."""
    deadline = asyncio.get_running_loop().time() + within_s
    while not task.done():
        task.cancel()
        left = deadline - asyncio.get_running_loop().time()
        if left <= 0:
            log.error("task %s did not stop within %.0f s", task.get_name(), within_s)
            return
        await asyncio.wait({task}, timeout=min(left, 0.5))
    with contextlib.suppress(asyncio.CancelledError, Exception):
        task.result()
