"""docs/deploy.md's walk-through, steps 4 to 6, run as written against moto.

The commands are read from the page itself and run by bash, so the page cannot drift
from the CLI. Two kinds of line are left out: `aws ...` (the AWS CLI, for S3 copies
moto does not need) and the push, which needs an image and a registry
(test_sagemaker_moto.py covers it); its ECR repository is created here instead.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from aws import ROLE_ARN
from servers import ROOT, TIFFIN

STEP = re.compile(r"^\*\*(\d)\. [^*]*\*\*(.*?)(?=^\*\*\d\. |^## )", re.MULTILINE | re.DOTALL)
BASH = re.compile(r"```bash\n(.*?)```", re.DOTALL)


def walkthrough_commands(*steps: int) -> list[str]:
    """The bash lines of the walk-through's numbered steps, continuation lines kept."""
    text = (ROOT / "docs" / "deploy.md").read_text()
    section = text.split("## From a new project to an endpoint", 1)[1]
    found = {int(number): body for number, body in STEP.findall(section)}
    lines: list[str] = []
    for step in steps:
        for block in BASH.findall(found[step]):
            lines.extend(block.replace("\\\n", " ").splitlines())
    return lines


def test_the_walkthrough_deploys_transforms_and_cleans_up_as_written(aws_env, aws, tmp_path):
    subprocess.run([*TIFFIN, "init", "churn", "--template", "sagemaker"], cwd=tmp_path,
                   check=True, capture_output=True, timeout=120)  # fmt: skip
    aws("ecr").create_repository(repositoryName="churn")  # what the push creates
    commands = [line for line in walkthrough_commands(4, 5, 6)
                if not line.startswith("aws ") and "sagemaker push" not in line]  # fmt: skip
    assert sum("tiffin sagemaker" in line for line in commands) == 7
    script = "set -euo pipefail\n" + "\n".join(commands)  # moto is done at once: no polling
    env = {**os.environ, **aws_env, "BUCKET": "my-ml-bucket", "TIFFIN_SAGEMAKER_ROLE": ROLE_ARN,
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}  # fmt: skip

    done = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=300)  # fmt: skip

    assert done.returncode == 0, done.stderr
    sagemaker = aws("sagemaker")
    (job,) = sagemaker.list_training_jobs()["TrainingJobSummaries"]
    trained = sagemaker.describe_training_job(TrainingJobName=job["TrainingJobName"])
    assert trained["HyperParameters"] == {"C": "0.5"}
    assert trained["InputDataConfig"][0]["ContentType"] == "text/csv"
    batch = sagemaker.describe_transform_job(TransformJobName="churn-batch-1")
    assert batch["TransformOutput"]["Accept"] == "text/csv"
    assert sagemaker.list_endpoints()["Endpoints"] == []  # step 6 cleaned up
    assert sagemaker.list_models()["Models"] == []
    assert "endpoint churn is InService" in done.stderr
