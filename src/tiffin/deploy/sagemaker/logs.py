"""Follow the CloudWatch Logs of a SageMaker job or endpoint across polls.

SageMaker writes a training job's output to ``/aws/sagemaker/TrainingJobs``, a transform
job's to ``/aws/sagemaker/TransformJobs`` (streams named ``JOB/...``) and an endpoint's
to ``/aws/sagemaker/Endpoints/NAME``. Each :meth:`LogFollower.poll` returns the lines
written since the previous one: ``nextForwardToken`` is kept per stream, so no line is
shown twice. Streams appear late (instances take minutes to start): until then, and
while the group does not exist, a poll returns nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tiffin.deploy.sagemaker.errors import call
from tiffin.errors import CloudCallFailed

TRAINING_GROUP = "/aws/sagemaker/TrainingJobs"
TRANSFORM_GROUP = "/aws/sagemaker/TransformJobs"
ENDPOINT_GROUP = "/aws/sagemaker/Endpoints/{name}"
MAX_PAGES = 20


@dataclass
class LogFollower:
    """New log lines of the streams in ``group`` whose names start with ``prefix``.

    ``start_ms`` skips events older than that (epoch milliseconds): an endpoint's group
    keeps the logs of its earlier deployments.
    """

    client: Any
    group: str
    prefix: str = ""
    start_ms: int | None = None
    tokens: dict[str, str] = field(default_factory=dict)

    def poll(self) -> list[str]:
        """The lines written since the last poll, stream by stream, in order."""
        streams = self.streams()
        lines: list[str] = []
        for stream in streams:
            label = f"[{self.short(stream)}] " if len(streams) > 1 else ""
            lines.extend(label + line for line in self.new_lines(stream))
        return lines

    def streams(self) -> list[str]:
        """The names of the matching streams, oldest first; none while the group is missing."""
        request: dict[str, Any] = {"logGroupName": self.group}
        if self.prefix:
            request["logStreamNamePrefix"] = self.prefix
        try:
            found = call(self.client, "describe_log_streams", **request)
        except CloudCallFailed as exc:
            if exc.code == "ResourceNotFoundException":
                return []
            raise
        return sorted(stream["logStreamName"] for stream in found.get("logStreams", []))

    def new_lines(self, stream: str) -> list[str]:
        """Events of ``stream`` after its saved token, following ``nextForwardToken``."""
        lines: list[str] = []
        for _ in range(MAX_PAGES):
            request: dict[str, Any] = {
                "logGroupName": self.group,
                "logStreamName": stream,
                "startFromHead": True,
            }
            token = self.tokens.get(stream)
            if token:
                request["nextToken"] = token
            elif self.start_ms is not None:
                request["startTime"] = self.start_ms
            page = call(self.client, "get_log_events", **request)
            events = page.get("events", [])
            lines.extend(str(event.get("message", "")).rstrip("\n") for event in events)
            following = page.get("nextForwardToken")
            if following:
                self.tokens[stream] = following
            if not events or not following or following == token:
                break
        return lines

    def short(self, stream: str) -> str:
        """A stream's name without the job's prefix: ``algo-1-1712345678``."""
        return stream[len(self.prefix) :] if self.prefix else stream
