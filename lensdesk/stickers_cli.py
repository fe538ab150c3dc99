"""`lensdesk sticker`: create, list, print (PNG/SVG, a PDF sheet) and revoke device help links from the shell."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from .settings import Settings


def add_parser(sub: Any) -> None:
    """Register `lensdesk sticker ...`."""
    sticker = sub.add_parser("sticker", help="device help links with QR stickers: create, list, sheet, revoke")
    sticker.add_argument("--data-dir")
    actions = sticker.add_subparsers(dest="sticker_command", required=True)
    create = actions.add_parser("create", help="a help link for a device (serial) or a product line")
    create.add_argument("--family", required=True, help="device family; technicians skilled for it get its calls")
    create.add_argument("--model", required=True)
    create.add_argument("--serial", default="")
    create.add_argument("--site", default="", help="site or customer reference")
    create.add_argument("--label", default="")
    create.add_argument("--out", help="write the sticker here too (.png or .svg)")
    actions.add_parser("list", help="help links in use")
    sheet = actions.add_parser("sheet", help="a PDF sheet of stickers (A4, 12 a page)")
    sheet.add_argument("ids", nargs="+")
    sheet.add_argument("--out", required=True, help="the PDF file to write")
    revoke = actions.add_parser("revoke", help="a revoked sticker asks for help no more")
    revoke.add_argument("id")
    sticker.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Carry out one sticker command against the configured database."""
    from tickets.records import HelpLinkRecord
    from tickets.store import TicketStore
    from web.help_api import sticker_of
    from web.stickers import sticker_png, sticker_sheet_pdf, sticker_svg

    from .app import token_service

    settings = Settings(**({"data_dir": args.data_dir} if args.data_dir else {}))
    tokens = token_service(settings)

    def url(link: HelpLinkRecord) -> str:
        return f"{settings.base_url}/help#h={tokens.issue_help(link.id)}"

    async def main() -> int:
        store = TicketStore(settings.resolved_database_url, settings.data_dir.resolve())
        try:
            await store.migrate()
            desk = store.help_desk
            if args.sticker_command == "create":
                if args.out and Path(args.out).suffix not in (".png", ".svg"):
                    print("error: --out must end in .png or .svg", file=sys.stderr)
                    return 2
                link = await desk.create_link(family=args.family, model=args.model, serial=args.serial,
                                              site=args.site, label=args.label, actor="cli")
                print(f"{link.id}\t{url(link)}")
                if args.out:
                    render = sticker_png if args.out.endswith(".png") else sticker_svg
                    await asyncio.to_thread(Path(args.out).write_bytes, render(sticker_of(link, url(link))))
            elif args.sticker_command == "list":
                for link in await desk.list_links():
                    print(f"{link.id}\t{link.family}\t{link.model}\t{link.serial}\t{link.site}")
            elif args.sticker_command == "sheet":
                links = [await desk.get_link(i) for i in args.ids]
                unusable = [i for i, link in zip(args.ids, links, strict=True) if link is None or link.revoked_at]
                if unusable:
                    print(f"error: unknown or revoked: {', '.join(unusable)}", file=sys.stderr)
                    return 2
                pdf = sticker_sheet_pdf([sticker_of(link, url(link)) for link in links if link])
                await asyncio.to_thread(Path(args.out).write_bytes, pdf)
                print(f"wrote {len(links)} stickers to {args.out}")
            else:
                link = await desk.revoke_link(args.id, actor="cli")
                print(f"revoked {link.id} ({link.model})")
            return 0
        finally:
            await store.close()

    try:
        return asyncio.run(main())
    except Exception as exc:  # the store's own errors (not found, invalid input) as one line
        print(f"error: {exc}", file=sys.stderr)
        return 1
