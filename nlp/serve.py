"""A local HTTP server that keeps one warm pipeline: ``POST /tag``, ``POST /compare``, health, configuration, a UI.

Built on FastAPI (Starlette + uvicorn), imported only here.  The pipeline is built once
from a configuration (any shipped name, a configuration file, user models) and shared
by all requests; stages keep per-process caches, so requests go through the pipeline
one at a time (a lock), while reading, validating and serialising run concurrently.

Endpoints
---------
``POST /tag``      ``{"text": "...", "id": "doc", "name": "doc.txt", "morphemes": false}`` ->
                   exactly the JSON of ``kdiscourse tag --format json``;
``POST /compare``  ``{"text": "...", "id": "doc", "name": "doc.txt"}`` -> exactly the JSON of
                   ``kdiscourse compare --format json`` against the shipped reference;
``GET /health``    status and stage names;  ``GET /config``  the resolved pipeline configuration;
``GET /``          a one-page UI (paste text or choose a file).

Errors are one-line JSON messages: 400 for malformed JSON or fields, 413 for a request
over the size limit, 422 for a document that cannot be analysed.
"""


import json
import threading
from importlib import resources
from typing import Any

from .config import PipelineConfig
from .errors import AnalyzerError
from .inputs import document_from_bytes
from .pipeline import Pipeline

DEFAULT_MAX_BYTES = 2 * 1024 * 1024
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
_FIELDS = {"text": str, "id": str, "name": str, "morphemes": bool}


class RequestError(AnalyzerError):
    """A request the server refuses: ``status`` is the HTTP status, the message one line."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class Service:
    """The warm pipeline and reference behind the endpoints (usable without HTTP, e.g. in tests)."""

    def __init__(self, config: PipelineConfig | str | None = None, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        from .profile import load_reference

        self.pipeline = Pipeline.from_config(config)
        self.reference = load_reference()
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self.warm()

    def warm(self) -> None:
        """Load Kiwi and the models now, so that the first request is as fast as the others."""
        with self._lock:
            self.pipeline("미국과 중국의 AI 경쟁.")

    def parse(self, body: bytes) -> dict[str, Any]:
        """Validate a request body: size, JSON object, known fields of the right types, non-empty text."""
        if len(body) > self.max_bytes:
            raise RequestError(413, f"request of {len(body):,} bytes is over the {self.max_bytes:,}-byte limit")
        try:
            data = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise RequestError(400, f"request body is not JSON: {str(exc).splitlines()[0]}") from None
        if not isinstance(data, dict):
            raise RequestError(400, "request body must be a JSON object with a 'text' field")
        unknown = sorted(set(data) - set(_FIELDS))
        if unknown:
            raise RequestError(400, f"unknown field(s) {', '.join(unknown)}; allowed: {', '.join(_FIELDS)}")
        for key, typ in _FIELDS.items():
            if key in data and not isinstance(data[key], typ):
                raise RequestError(400, f"field {key!r} must be a {typ.__name__}")
        if not isinstance(data.get("text"), str):
            raise RequestError(400, "field 'text' (the document) is required")
        return data

    def _document(self, data: dict[str, Any]):
        doc_id = data.get("id") or "doc"
        name = data.get("name") or f"{doc_id}.txt"
        doc = document_from_bytes(data["text"].encode("utf-8"), doc_id, name)
        with self._lock:
            return self.pipeline(doc)

    def tag(self, data: dict[str, Any]) -> dict:
        """The JSON contract of one document (``tag --format json``)."""
        doc = self._document(data)
        return self.pipeline.output(doc, bool(data.get("morphemes", False)))

    def compare(self, data: dict[str, Any]) -> dict:
        """The comparison with the shipped reference (``compare --format json``)."""
        from .compare import compare_profiles
        from .profile import document_profile

        doc = self._document(data)
        if not doc.ok:
            raise RequestError(422, doc.error or "the document could not be analysed")
        return compare_profiles(document_profile(doc, name=doc.id), self.reference).to_dict()

    def health(self) -> dict:
        """Status, pipeline name and stages."""
        return {"status": "ok", "pipeline": self.pipeline.config.get("name"), "stages": list(self.pipeline.names),
                "not_installed": dict(self.pipeline.missing)}


def ui_html() -> str:
    """The one-page UI (a static file of the package data)."""
    return (resources.files("nlp") / "web" / "index.html").read_text(encoding="utf-8")


def create_app(service: Service):
    """The FastAPI application for a :class:`Service`."""
    from fastapi import FastAPI, Request
    from fastapi.responses import HTMLResponse, JSONResponse, Response

    from .labels import display, frame_ids, korean_name

    app = FastAPI(title="kdiscourse", docs_url=None, redoc_url=None, openapi_url=None)
    headers = {"X-Content-Type-Options": "nosniff"}

    def dump(obj: Any, status: int = 200) -> Response:
        body = json.dumps(obj, ensure_ascii=False, allow_nan=False)
        return Response(body, status_code=status, media_type="application/json; charset=utf-8", headers=headers)

    async def read(request: Request) -> dict[str, Any]:
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > service.max_bytes:
            raise RequestError(413, f"request of {int(declared):,} bytes is over the {service.max_bytes:,}-byte limit")
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > service.max_bytes:
                raise RequestError(413, f"request is over the {service.max_bytes:,}-byte limit")
            chunks.append(chunk)
        return service.parse(b"".join(chunks))

    @app.exception_handler(RequestError)
    async def request_error(_request: Request, exc: RequestError) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, status_code=exc.status, headers=headers)

    @app.post("/tag")
    async def tag(request: Request) -> Response:
        data = await read(request)
        from starlette.concurrency import run_in_threadpool

        return dump(await run_in_threadpool(service.tag, data))

    @app.post("/compare")
    async def compare(request: Request) -> Response:
        data = await read(request)
        from starlette.concurrency import run_in_threadpool

        return dump(await run_in_threadpool(service.compare, data))

    @app.get("/health")
    async def health() -> Response:
        return dump(service.health())

    @app.get("/config")
    async def config() -> Response:
        return dump(service.pipeline.config)

    @app.get("/labels")
    async def labels() -> Response:
        names = {lab: korean_name(lab) for lab in frame_ids()}
        from .labels import dimension_ids

        names.update({lab: korean_name(lab) for lab in dimension_ids()})
        return dump({"names": names, **display()})

    @app.get("/favicon.ico")
    async def favicon() -> Response:
        return Response(status_code=204)

    @app.get("/")
    async def index() -> HTMLResponse:
        csp = ("default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'unsafe-inline'; "
               "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'")
        return HTMLResponse(ui_html(), headers={**headers, "Content-Security-Policy": csp})

    return app


def run(config: PipelineConfig | str | None = None, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
        max_bytes: int = DEFAULT_MAX_BYTES, log_level: str = "warning") -> None:
    """Build the service and serve it with uvicorn until interrupted."""
    import uvicorn

    service = Service(config, max_bytes=max_bytes)
    uvicorn.run(create_app(service), host=host, port=port, log_level=log_level)


__all__ = ["DEFAULT_HOST", "DEFAULT_MAX_BYTES", "DEFAULT_PORT", "RequestError", "Service", "create_app", "run",
           "ui_html"]
