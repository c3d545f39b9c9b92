"""Test doubles of boto3's SageMaker and CloudWatch Logs clients, for what moto cannot show.

moto jumps straight to final states, so waiting, status transitions, log streaming,
failures and UpdateEndpoint are driven here by scripted state sequences. These are
fakes, not AWS: every test using them says so in its name (``scripted``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from types import SimpleNamespace
from typing import Any

from botocore.exceptions import ClientError


def client_error(code: str, message: str, operation: str) -> ClientError:
    """The ClientError botocore raises for an AWS error response."""
    return ClientError({"Error": {"Code": code, "Message": message}}, operation)


def not_found(kind: str, name: str, operation: str) -> ClientError:
    return client_error("ValidationException", f"Could not find {kind} '{name}'.", operation)


class ScriptedClient:
    """A fake boto3 client: records each call and answers with the next scripted response
    of its operation (the last one repeats). A scripted exception is raised, a scripted
    callable is called with the request. Unscripted operations answer ``{}``.
    """

    def __init__(self, service: str, **script: Iterable[Any]) -> None:
        self.meta = SimpleNamespace(service_model=SimpleNamespace(service_name=service))
        self.script = {operation: list(answers) for operation, answers in script.items()}
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __getattr__(self, operation: str) -> Callable[..., Any]:
        if operation.startswith("_"):
            raise AttributeError(operation)

        def answer(**request: Any) -> Any:
            self.calls.append((operation, request))
            queue = self.script.get(operation)
            if not queue:
                return {}
            item = queue.pop(0) if len(queue) > 1 else queue[0]
            if isinstance(item, BaseException):
                raise item
            return item(request) if callable(item) else item

        return answer

    def operations(self) -> list[str]:
        return [operation for operation, _ in self.calls]

    def requests(self, operation: str) -> list[dict[str, Any]]:
        return [request for name, request in self.calls if name == operation]


class ScriptedLogs:
    """A fake CloudWatch Logs client whose streams grow as the test adds lines.

    ``get_log_events`` pages two events at a time and follows ``nextToken`` like the real
    service: the same token comes back when nothing is new. The group does not exist
    (ResourceNotFoundException) until a first stream is added.
    """

    meta = SimpleNamespace(service_model=SimpleNamespace(service_name="logs"))

    def __init__(self) -> None:
        self.streams: dict[str, list[str]] = {}
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def add(self, stream: str, *lines: str) -> None:
        self.streams.setdefault(stream, []).extend(lines)

    def describe_log_streams(self, **request: Any) -> dict[str, Any]:
        self.calls.append(("describe_log_streams", request))
        if not self.streams:
            raise client_error("ResourceNotFoundException", "The specified log group does "
                               "not exist.", "DescribeLogStreams")  # fmt: skip
        prefix = request.get("logStreamNamePrefix", "")
        names = [name for name in self.streams if name.startswith(prefix)]
        return {"logStreams": [{"logStreamName": name} for name in names]}

    def get_log_events(self, **request: Any) -> dict[str, Any]:
        self.calls.append(("get_log_events", request))
        token = request.get("nextToken")
        start = int(token.split("/")[1]) if token else 0
        events = self.streams[request["logStreamName"]][start : start + 2]
        return {
            "events": [{"message": line, "timestamp": 0} for line in events],
            "nextForwardToken": f"f/{start + len(events)}",
        }


class FakeAws:
    """Stands in for :class:`tiffin.deploy.sagemaker.session.Aws` with scripted clients."""

    def __init__(self, **clients: Any) -> None:
        self.clients = clients
        self.region = "us-east-1"

    def client(self, service: str) -> Any:
        return self.clients[service.replace("-", "_")]


class FakeClock:
    """A monotonic clock that only moves when the poller sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def training(status: str, *secondary: tuple[str, str], reason: str | None = None,
             **extra: Any) -> dict[str, Any]:  # fmt: skip
    """A DescribeTrainingJob response with these secondary status transitions so far."""
    answer: dict[str, Any] = {
        "TrainingJobStatus": status,
        "SecondaryStatus": secondary[-1][0] if secondary else "Starting",
        "SecondaryStatusTransitions": [
            {"Status": name, "StatusMessage": message} for name, message in secondary
        ],
        **extra,
    }
    if reason:
        answer["FailureReason"] = reason
    return answer


def with_logs(logs: ScriptedLogs, stream: str, lines: list[str],
              answer: dict[str, Any]) -> Callable[[dict[str, Any]], dict[str, Any]]:  # fmt: skip
    """A scripted describe answer that also makes ``lines`` appear in ``stream``."""

    def describe(_: dict[str, Any]) -> dict[str, Any]:
        logs.add(stream, *lines)
        return answer

    return describe
