"""python -m simulator {generate, redeliver, serve-hrss}: the department systems, simulated."""
from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simulator", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    gen = sub.add_parser("generate", help="write a sources root per SOURCES.md")
    gen.add_argument("--out", required=True, type=Path)
    gen.add_argument("--enterprises", type=int, default=15_000)
    gen.add_argument("--seed", type=int, default=42)
    gen.add_argument("--year", type=int, default=2025, help="evaluation year (annual files: this and earlier years)")
    gen.add_argument("--months", type=int, default=15,
                     help="monthly deliveries: this many months ending in December (15: a year and the quarter before, "
                          "for year-on-year comparisons)")
    gen.add_argument("--samr-url", default=None,
                     help="load S1 into this database (postgresql://..., mysql+pymysql://...) instead of samr/samr.db")
    gen.add_argument("--chunk-size", type=int, default=50_000)
    gen.add_argument("--quiet", action="store_true")

    red = sub.add_parser("redeliver", help="replace a month's file with a corrected delivery of the same name")
    red.add_argument("--root", required=True, type=Path)
    red.add_argument("--source", choices=("tax", "grid"), default="tax")
    red.add_argument("--period", required=True, help="YYYYMM")
    red.add_argument("--seed", type=int, default=0)
    red.add_argument("--share", type=float, default=0.03, help="share of rows whose amounts are corrected")

    srv = sub.add_parser("serve-hrss", help="serve the S5 HTTP API of a generated root on 127.0.0.1")
    srv.add_argument("--root", required=True, type=Path)
    srv.add_argument("--port", type=int, default=8765)
    srv.add_argument("--host", default="127.0.0.1")
    srv.add_argument("--token", default=os.environ.get("HRSS_API_TOKEN"),
                     help="bearer token (default: $HRSS_API_TOKEN)")
    srv.add_argument("--fail-rate", type=float, default=0.0, help="share of requests answered 500/503")
    srv.add_argument("--rate-limit", type=float, default=200.0, help="requests per second before 429")
    args = parser.parse_args(argv)

    if args.command == "generate":
        from .generate import generate

        summary = generate(args.out, args.enterprises, args.seed, args.year, args.months, args.samr_url,
                           args.chunk_size, progress=not args.quiet)
        peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        summary["peak_rss_mib"] = round(peak_mib)
        print(json.dumps(summary, ensure_ascii=False, indent=1))
        return 0

    if args.command == "redeliver":
        from .redeliver import redeliver

        print(json.dumps(redeliver(args.root, args.source, args.period, args.seed, args.share), ensure_ascii=False))
        return 0

    if not args.token:
        parser.error("serve-hrss needs --token or $HRSS_API_TOKEN")
    from .hrss_server import make_server

    server, _ = make_server(args.root, args.token, args.port, args.host, args.fail_rate, args.rate_limit)
    signal.signal(signal.SIGTERM, lambda *_: (server.server_close(), sys.exit(0)))
    print(f"HRSS API on http://{args.host}:{server.server_address[1]}/api/v1 (root {args.root})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
