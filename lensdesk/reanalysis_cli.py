"""`lensdesk reanalysis`: queue re-analyses of stored recordings, follow their progress, run a worker."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from .settings import Settings


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Add the `reanalysis` subcommand and its actions."""
    p = subparsers.add_parser("reanalysis", help="re-read stored recordings as queued jobs (e.g. after the catalog grew)")
    actions = p.add_subparsers(dest="action", required=True)
    submit = actions.add_parser("submit", help="queue the recordings of a ticket, or listed recordings")
    submit.add_argument("recording_ids", nargs="*", help="recording ids (GET /api/tickets/{id}/recordings)")
    submit.add_argument("--ticket", help="every recording of this ticket")
    submit.add_argument("--wait", action="store_true", help="follow the jobs' progress until they end")
    status = actions.add_parser("status", help="a job's status and progress")
    status.add_argument("job_ids", nargs="+")
    status.add_argument("--wait", action="store_true", help="follow the progress until the jobs end")
    for action in (submit, status):
        action.add_argument("--url", help="a node's base URL (default: this machine's LENSDESK_HOST/PORT)")
        action.add_argument("--data-dir", help="where the node's secret key is (if not in LENSDESK_SECRET_KEY)")
        action.set_defaults(func=_over_api)
    worker = actions.add_parser("worker", help="run a worker on this node (needs LENSDESK_REDIS_URL)")
    worker.add_argument("--burst", action="store_true", help="stop once the queue is empty")
    worker.add_argument("--data-dir")
    worker.set_defaults(func=_worker)


def _settings(args: argparse.Namespace) -> Settings:
    return Settings(**({"data_dir": args.data_dir} if args.data_dir else {}))


def _worker(args: argparse.Namespace) -> int:
    from reanalysis.jobs import run_worker

    from .app import reanalysis_setup

    settings = _settings(args)
    if not settings.redis_url:
        print("error: a worker needs LENSDESK_REDIS_URL (without Redis, the server runs re-analyses itself)",
              file=sys.stderr)
        return 2
    run_worker(reanalysis_setup(settings, settings.data_dir.resolve(), settings.at_rest_key()), burst=args.burst)
    return 0


def _line(job: dict[str, Any]) -> str:
    done = f"attached {', '.join(job['attached']) or 'nothing new'}" if job["status"] == "done" else ""
    error = f" ({job['error']})" if job.get("error") else ""
    return (f"{job['id']}  {job['status']:<8} {job['progress'] * 100:5.1f}%  attempt {job['attempts']}  "
            f"{job.get('recording_id') or ''} {done}{error}").rstrip()


def _over_api(args: argparse.Namespace) -> int:
    import httpx

    from .app import token_service

    settings = _settings(args)
    url = (args.url or settings.base_url).rstrip("/")
    token = token_service(settings).issue_technician("cli-reanalysis", "lensdesk reanalysis")
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as http:
        try:
            if args.action == "submit":
                if not args.recording_ids and not args.ticket:
                    print("error: give recording ids or --ticket", file=sys.stderr)
                    return 2
                body = {"recording_ids": args.recording_ids, "ticket_id": args.ticket}
                reply = http.post("/api/reanalysis", json=body)
                if reply.status_code != 202:
                    print(f"error: {reply.status_code} {reply.text}", file=sys.stderr)
                    return 1
                jobs = reply.json()
                names = {job["id"]: job.get("recording_id") for job in jobs}
            else:
                jobs = [http.get(f"/api/reanalysis/{job_id}").raise_for_status().json() for job_id in args.job_ids]
                names = {}
            while True:
                for job in jobs:
                    print(_line({**job, "recording_id": job.get("recording_id") or names.get(job["id"])}), flush=True)
                if not args.wait or all(job["status"] in ("done", "failed") for job in jobs):
                    break
                time.sleep(2.0)
                jobs = [http.get(f"/api/reanalysis/{job['id']}").raise_for_status().json() for job in jobs]
        except httpx.HTTPError as exc:
            print(f"error: {url}: {exc}", file=sys.stderr)
            return 1
    return 1 if any(job["status"] == "failed" for job in jobs) else 0
