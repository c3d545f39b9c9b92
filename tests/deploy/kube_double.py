"""A TEST DOUBLE of the Kubernetes API server, for `tiffin kserve deploy|status|delete`.

No Kubernetes API server (nor KServe) can run on this machine, so this fake stands in
for one: a real HTTP server on 127.0.0.1, in a thread, speaking the REST paths tiffin
uses (server-side apply PATCH, GET and DELETE of InferenceServices, Deployments,
Services and HorizontalPodAutoscalers), answering refusals with Kubernetes ``Status``
bodies. It is not Kubernetes: it keeps objects in a dict, and an object's status
follows a script (one entry per GET after an apply) instead of a controller. Every
request is recorded with its query, content type, Authorization header and body, so
tests assert exactly what tiffin sent. Tests using it say so in their module docstring.
"""

from __future__ import annotations

import copy
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml

TOKEN = "tiffin-test-token"
OBJECT_PATH = re.compile(
    r"^/(?:api/(?P<core>v1)|apis/(?P<group>[^/]+)/(?P<version>[^/]+))"
    r"/namespaces/(?P<namespace>[^/]+)/(?P<plural>[^/]+)/(?P<name>[^/]+)$"
)
KINDS = {
    "inferenceservices": "inferenceservices.serving.kserve.io",
    "deployments": "deployments.apps",
    "services": "services",
    "horizontalpodautoscalers": "horizontalpodautoscalers.autoscaling",
}


def condition(kind: str, status: str, reason: str = "", message: str = "") -> dict[str, Any]:
    """One status condition, as KServe and Kubernetes write them."""
    found = {"type": kind, "status": status, "lastTransitionTime": "2026-01-01T00:00:00Z"}
    if reason:
        found["reason"] = reason
    if message:
        found["message"] = message
    return found


WAITING = 'Configuration "iris-predictor" is waiting for a Revision to become ready.'
ISVC_PROGRESS = [
    {},
    {
        "conditions": [
            condition("IngressReady", "False"),
            condition("PredictorReady", "False", "RevisionMissing", WAITING),
            condition("Ready", "False", "RevisionMissing", WAITING),
        ]
    },
    {
        "conditions": [
            condition("IngressReady", "False"),
            condition("PredictorReady", "True"),
            condition("Ready", "False", "RevisionMissing", WAITING),
        ]
    },
    {
        "url": "http://iris.default.example.com",
        "conditions": [
            condition("IngressReady", "True"),
            condition("PredictorReady", "True"),
            condition("Ready", "True"),
        ],
    },
]
"""What a Knative-mode InferenceService goes through: Ready=False, then True, with a URL."""
ISVC_STUCK = ISVC_PROGRESS[:2]
DEPLOYMENT_PROGRESS = [
    {
        "observedGeneration": "current",
        "replicas": 1,
        "updatedReplicas": 1,
        "conditions": [
            condition(
                "Available",
                "False",
                "MinimumReplicasUnavailable",
                "Deployment does not have minimum availability.",
            )
        ],
    },
    {
        "observedGeneration": "current",
        "replicas": 1,
        "updatedReplicas": 1,
        "readyReplicas": 1,
        "availableReplicas": 1,
        "conditions": [condition("Available", "True", "MinimumReplicasAvailable")],
    },
]
"""A Deployment rolling out one replica (``current``: the object's generation)."""


@dataclass
class Request:
    """One request the double received."""

    method: str
    path: str
    query: dict[str, list[str]]
    content_type: str | None
    authorization: str | None
    body: Any


@dataclass
class Stored:
    """An object in the double, its status script and how far it has gone."""

    obj: dict[str, Any]
    script: list[dict[str, Any]]
    gets: int = 0
    gets_left: int | None = None
    """After a DELETE: GETs that still find it (finalizers at work), then it is gone."""


@dataclass
class FakeKubernetes:
    """The fake API server. ``scripts`` maps a plural to its status script; ``refuse``
    maps (method, plural) to a (code, Status body) answer; ``kserve=False`` is a cluster
    without the InferenceService CRD."""

    kserve: bool = True
    scripts: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    refuse: dict[tuple[str, str], tuple[int, dict[str, Any]]] = field(default_factory=dict)
    deletion_gets: int = 1
    on_get: Callable[[Request], None] | None = None
    objects: dict[str, Stored] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.scripts = {
            "inferenceservices": ISVC_PROGRESS,
            "deployments": DEPLOYMENT_PROGRESS,
            **self.scripts,
        }
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def kubeconfig(
        self,
        path: Path,
        *,
        contexts: tuple[str, ...] = ("test",),
        current: str | None = "test",
        namespace: str | None = None,
    ) -> Path:
        """Write a kubeconfig whose contexts all point at this double; returns its path."""
        context_body: dict[str, Any] = {"cluster": "double", "user": "tester"}
        if namespace:
            context_body["namespace"] = namespace
        config: dict[str, Any] = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "double", "cluster": {"server": self.url}}],
            "users": [{"name": "tester", "user": {"token": TOKEN}}],
            "contexts": [{"name": name, "context": context_body} for name in contexts],
        }
        if current:
            config["current-context"] = current
        path.write_text(yaml.safe_dump(config))
        return path

    def sent(self, method: str | None = None) -> list[Request]:
        """The requests received, or those of one method."""
        return [r for r in self.requests if method is None or r.method == method]

    def stored(self, plural: str, name: str, namespace: str = "default") -> dict[str, Any]:
        """An object as the double holds it."""
        return self.objects[_key(plural, namespace, name)].obj

    # -- answering ----------------------------------------------------------------------

    def answer(self, request: Request) -> tuple[int, dict[str, Any]]:
        found = OBJECT_PATH.match(request.path)
        if not found:
            return _status(404, "NotFound", "the server could not find the requested resource")
        plural, name, namespace = found["plural"], found["name"], found["namespace"]
        if found["group"] == "serving.kserve.io" and not self.kserve:
            return _status(404, "NotFound", "the server could not find the requested resource")
        refusal = self.refuse.get((request.method, plural))
        if refusal:
            return refusal
        key = _key(plural, namespace, name)
        with self.lock:
            handler = {"PATCH": self.apply, "GET": self.get, "DELETE": self.delete}
            return handler[request.method](request, key, plural, name, namespace)

    def apply(
        self, request: Request, key: str, plural: str, name: str, namespace: str
    ) -> tuple[int, dict[str, Any]]:
        if request.content_type != "application/apply-patch+yaml":
            return _status(415, "UnsupportedMediaType", f"{request.content_type} is not apply")
        body = copy.deepcopy(request.body)
        existing = self.objects.get(key)
        generation = 1
        if existing is not None:
            old = existing.obj["metadata"]["generation"]
            generation = old + (existing.obj.get("spec") != body.get("spec"))
        body["metadata"] = {
            **body["metadata"],
            "namespace": namespace,
            "generation": generation,
            "uid": f"uid-{name}",
        }
        if existing is not None:
            body["status"] = existing.obj.get("status", {})
        self.objects[key] = Stored(body, self.scripts.get(plural, [{}]))
        return (200 if existing else 201), body

    def get(
        self, request: Request, key: str, plural: str, name: str, namespace: str
    ) -> tuple[int, dict[str, Any]]:
        stored = self.objects.get(key)
        if stored is not None and stored.gets_left is not None:
            stored.gets_left -= 1
            if stored.gets_left < 0:
                del self.objects[key]
                stored = None
        if stored is None:
            return _missing(plural, name)
        if self.on_get is not None:
            self.on_get(request)
        step = stored.script[min(stored.gets, len(stored.script) - 1)]
        stored.gets += 1
        status = dict(step)
        if status.get("observedGeneration") == "current":
            status["observedGeneration"] = stored.obj["metadata"]["generation"]
        stored.obj["status"] = status
        return 200, stored.obj

    def delete(
        self, request: Request, key: str, plural: str, name: str, namespace: str
    ) -> tuple[int, dict[str, Any]]:
        stored = self.objects.get(key)
        if stored is None or stored.gets_left is not None:
            return _missing(plural, name)
        stored.gets_left = self.deletion_gets
        stored.obj["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"
        return 200, stored.obj


def _key(plural: str, namespace: str, name: str) -> str:
    return f"{plural}/{namespace}/{name}"


def _status(
    code: int, reason: str, message: str, details: dict[str, Any] | None = None
) -> tuple[int, dict[str, Any]]:
    body = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "details": details or {},
        "code": code,
    }
    return code, body


def _missing(plural: str, name: str) -> tuple[int, dict[str, Any]]:
    resource = KINDS[plural]
    group = resource.partition(".")[2]
    return _status(
        404,
        "NotFound",
        f'{resource} "{name}" not found',
        {"name": name, "group": group, "kind": plural},
    )


def refusal(code: int, reason: str, message: str) -> tuple[int, dict[str, Any]]:
    """A scripted refusal for :attr:`FakeKubernetes.refuse`."""
    return _status(code, reason, message)


def _handler(double: FakeKubernetes) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def do_GET(self) -> None:
            self.serve()

        def do_PATCH(self) -> None:
            self.serve()

        def do_DELETE(self) -> None:
            self.serve()

        def serve(self) -> None:
            split = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            request = Request(
                self.command,
                split.path,
                parse_qs(split.query),
                self.headers.get("Content-Type"),
                self.headers.get("Authorization"),
                yaml.safe_load(raw) if raw else None,
            )
            double.requests.append(request)
            code, body = double.answer(request)
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler
