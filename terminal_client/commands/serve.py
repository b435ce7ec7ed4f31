"""``qurb-terminal serve``: the counter in a browser on this PC (terminal_client/web).

It listens on a loopback address only, and refuses any other: the screens act with the
terminal's key, so no other machine may reach them. An encrypted key's passphrase is asked
once here (or read from ``QURB_TERMINAL_PASSPHRASE``) and kept in this process only.
"""

from __future__ import annotations

import argparse
import webbrowser

from terminal_client.commands.context import Context, Explained, need_activation
from terminal_client.messages import Exit
from terminal_client.prompts import passphrase_from_environment


def serve(ctx: Context, args: argparse.Namespace) -> int:
    # Imported here: the command line's other commands never load the web server.
    from terminal_client.web import guard  # noqa: PLC0415
    from terminal_client.web.app import run  # noqa: PLC0415
    from terminal_client.web.state import Counter  # noqa: PLC0415

    if not guard.is_loopback(args.host):
        text = ctx._("The counter app listens on this PC only: give 127.0.0.1 or localhost.")
        raise Explained(text, Exit.BAD_INPUT)
    need_activation(ctx)
    passphrase = None
    if ctx.home.config().get("encrypted"):
        passphrase = (
            passphrase_from_environment() or ctx.secret(f"{ctx._('Passphrase')}: ").encode()
        )
    counter = Counter(
        home=ctx.home,
        default_lang=ctx.lang,
        passphrase=passphrase,
        patience=ctx.patience,
        hosts=guard.allowed_hosts(args.host, args.port),
    )
    counter.home.private_key(passphrase)  # a wrong passphrase stops here, not at a screen
    url = f"http://{args.host}:{args.port}/"
    ctx.say(ctx._("The counter is at {url} (Ctrl-C to stop).").format(url=url))
    if not args.no_browser:
        webbrowser.open(url)
    run(counter, args.host, args.port)
    return 0
