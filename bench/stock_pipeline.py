"""The stock aiortc way, for side-by-side benches: MediaRelay into new senders (decode + re-encode per hop)
and MediaRecorder (transcoding) — with the same interface the CallManager uses for lensdesk's CallMedia."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from pathlib import Path

from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.contrib.media import MediaRecorder, MediaRelay
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from media.frames import EncodedFrame


class _LateTrack(MediaStreamTrack):
    """Stands in for a relayed track that exists only once the customer's media arrives."""

    def __init__(self, kind: str, source: asyncio.Future[MediaStreamTrack]) -> None:
        super().__init__()
        self.kind = kind
        self._source = source

    async def recv(self):
        track = await self._source
        try:
            return await track.recv()
        except MediaStreamError:
            self.stop()
            raise


class StockCallMedia:
    """Customer audio+video to every technician through MediaRelay; recorded by MediaRecorder."""

    def __init__(self, session_id: str, recordings_dir: Path, record_format: str = "mp4") -> None:
        self.session_id = session_id
        self._relay = MediaRelay()
        self._peers: dict[str, RTCPeerConnection] = {}
        loop = asyncio.get_running_loop()
        self._sources: dict[str, asyncio.Future[MediaStreamTrack]] = {
            "audio": loop.create_future(), "video": loop.create_future()}
        recordings_dir.mkdir(parents=True, exist_ok=True)
        self._recorder = MediaRecorder(str(recordings_dir / f"{session_id}.{record_format}"))
        self._recorder_tracks = 0
        self._recording = False

    def add_observer(self, observer: Callable[[str, EncodedFrame], None]) -> None:
        """Stock aiortc has no encoded-frame access: observers never fire."""

    def request_keyframe(self) -> None:
        """Stock senders encode their own keyframes."""

    async def handle_offer(self, participant_id: str, role: str, sdp: str) -> str:
        pc = self._peers.get(participant_id)
        if pc is None:
            pc = self._peers[participant_id] = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        await pc.setRemoteDescription(RTCSessionDescription(sdp, "offer"))
        for t in pc.getTransceivers():
            track = t.receiver.track
            if role == "customer" and track is not None and not self._sources[t.kind].done():
                self._sources[t.kind].set_result(track)
                self._recorder.addTrack(self._relay.subscribe(track))
                self._recorder_tracks += 1
            if role == "technician" and t.sender.track is None:
                source = self._sources[t.kind]
                t.sender.replaceTrack(_LateTrack(t.kind, asyncio.ensure_future(self._subscribe(source))))
                t.direction = "sendrecv" if t.direction in ("recvonly", "sendrecv") else "sendonly"
        if self._recorder_tracks == 2 and not self._recording:
            self._recording = True
            await self._recorder.start()
        await pc.setLocalDescription(await pc.createAnswer())
        return str(pc.localDescription.sdp)

    async def _subscribe(self, source: asyncio.Future[MediaStreamTrack]) -> MediaStreamTrack:
        return self._relay.subscribe(await source)

    async def add_candidate(self, participant_id: str, candidate: str, sdp_mid: str | None,
                            sdp_mline_index: int | None) -> None:
        """Browsers in the benches do not trickle."""

    async def remove(self, participant_id: str) -> None:
        pc = self._peers.pop(participant_id, None)
        if pc is not None:
            await pc.close()

    async def close(self) -> None:
        for pid in list(self._peers):
            await self.remove(pid)
        if self._recording:
            with contextlib.suppress(Exception):
                await self._recorder.stop()
