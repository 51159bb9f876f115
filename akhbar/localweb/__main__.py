"""``python -m akhbar.localweb [--seeds-out DIR]``: serve the local news web until stopped."""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import threading
from pathlib import Path

from akhbar.localweb import LocalNewsWeb


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m akhbar.localweb",
        description="Serve the local Arabic news web on loopback until Ctrl-C or SIGTERM.",
    )
    parser.add_argument("--seeds-out", type=Path, metavar="DIR", help="write seeds files here")
    parser.add_argument("--first-host", type=int, default=11, help="first 127.0.0.x (default 11)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with LocalNewsWeb(first_host=args.first_host) as web:
        if args.seeds_out:
            for path in web.write_seeds(args.seeds_out):
                print(f"seeds: {path}")
        for site in web.sites:
            print(f"{site.name:<12} {site.base_url}/  {site.title}", flush=True)
        print("serving; Ctrl-C to stop", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
