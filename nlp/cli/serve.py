"""``kdiscourse serve``: a warm pipeline behind a local HTTP server (see :mod:`nlp.serve`)."""

from __future__ import annotations

import sys

from ..errors import UsageError
from .common import EXIT_OK, add_pipeline_options, pipeline_config, positive, size


def cmd_serve(args) -> int:
    """Build the pipeline once and serve ``/tag``, ``/compare``, ``/health``, ``/config`` and the UI."""
    try:
        from ..serve import run
    except ImportError as exc:  # pragma: no cover - the serve extra is missing
        raise UsageError(f"serve needs the serve extra (pip install 'kdiscourse[serve]'): {exc}") from None
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"kdiscourse: warning: serving on {args.host}, not only this machine; there is no authentication",
              file=sys.stderr)
    print(f"kdiscourse: serving on http://{args.host}:{args.port}/ (Ctrl-C stops)", file=sys.stderr)
    run(pipeline_config(args), host=args.host, port=args.port, max_bytes=args.max_bytes)
    return EXIT_OK


def register(sub) -> None:
    """Add the ``serve`` command."""
    from ..serve import DEFAULT_HOST, DEFAULT_MAX_BYTES, DEFAULT_PORT

    s = sub.add_parser("serve", help="a local HTTP server with a warm pipeline (POST /tag, POST /compare, UI at /)",
                       description="Keep one pipeline warm and answer POST /tag and POST /compare with the JSON of "
                                   "`tag --format json` and `compare --format json`; GET /health, GET /config, and "
                                   "a one-page UI at /. Binds 127.0.0.1 unless told otherwise.")
    s.add_argument("--host", default=DEFAULT_HOST, help=f"address to bind (default: {DEFAULT_HOST}, this machine only)")
    s.add_argument("--port", type=positive, default=DEFAULT_PORT, help=f"port (default: {DEFAULT_PORT})")
    s.add_argument("--max-bytes", type=size, default=DEFAULT_MAX_BYTES, metavar="SIZE",
                   help="largest request body; larger requests get 413 (default: 2M)")
    add_pipeline_options(s)
    s.set_defaults(func=cmd_serve)
