"""Names tiffin makes up for SageMaker, and where log reading starts (scripted log double)."""

from __future__ import annotations

import re
from datetime import datetime, timezone

from doubles import ScriptedLogs

from tiffin.deploy.sagemaker.logs import LogFollower
from tiffin.deploy.sagemaker.validate import default_name

SAGEMAKER_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")


def test_default_names_are_valid_for_sagemaker_even_from_long_odd_image_names():
    now = datetime(2024, 5, 17, 9, 30, 5, 123456, tzinfo=timezone.utc)
    long_repo = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/" + "churn_model." * 8 + ":1"
    for image, start in [("churn:1", "churn-"), (long_repo, "churn-model-churn"),
                         ("localhost/__x__:latest", "x-"), ("___:1", "tiffin-")]:  # fmt: skip
        name = default_name(image, now)
        assert SAGEMAKER_NAME.match(name), name
        assert name.startswith(start) and name.endswith("-20240517-093005-123")


def test_an_endpoint_log_is_read_from_the_deployment_on_not_from_its_history():
    logs = ScriptedLogs()
    logs.add("AllTraffic/i-0a", "old deployment line", "new deployment line", "and another")
    follower = LogFollower(logs, "/aws/sagemaker/Endpoints/churn", start_ms=1_700_000_000_000)
    follower.poll()
    follower.poll()
    reads = [request for operation, request in logs.calls if operation == "get_log_events"]
    assert reads[0]["startTime"] == 1_700_000_000_000 and "nextToken" not in reads[0]
    assert all("startTime" not in r and r["nextToken"] for r in reads[1:])
