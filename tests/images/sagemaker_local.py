"""Run by the SageMaker Python SDK's own interpreter (``.venv-sagemaker``), not by pytest.

Trains, deploys, predicts (JSON and CSV) and batch-transforms an image in the SDK's local
mode, which runs it as the platform does: ``IMAGE train`` / ``IMAGE serve`` through
docker-compose, with host directories mounted at /opt/ml/* and owned by root, and no
``--user``. Prints one JSON line of what it saw.

    python sagemaker_local.py IMAGE WORK_DIR TRAIN_DIR PREDICT_DIR
"""

import json
import sys
from pathlib import Path

from sagemaker.estimator import Estimator
from sagemaker.local import LocalSession
from sagemaker.serializers import CSVSerializer, JSONSerializer

ROLE = "arn:aws:iam::123456789012:role/tiffin-test"


def main(image: str, work: Path, train: Path, predict: Path) -> None:
    session = LocalSession()
    session.config = {"local": {"local_code": True}}
    estimator = Estimator(
        image_uri=image,
        role=ROLE,
        instance_count=1,
        instance_type="local",
        output_path=f"file://{work}/model",
        sagemaker_session=session,
        hyperparameters={"C": 0.5},
    )
    estimator.fit({"train": f"file://{train}"})
    seen = {"model_data": estimator.model_data}
    predictor = estimator.deploy(1, "local")
    try:
        predictor.serializer = JSONSerializer()
        seen["json"] = json.loads(predictor.predict([[5.1, 3.5, 1.4, 0.2]]))
        predictor.serializer = CSVSerializer()
        seen["csv"] = json.loads(predictor.predict("5.1,3.5,1.4,0.2\n6.7,3.0,5.2,2.3"))
    finally:
        predictor.delete_endpoint()
    transformer = estimator.transformer(
        1, "local", output_path=f"file://{work}/transform", strategy="MultiRecord",
        assemble_with="Line", accept="text/csv",
    )  # fmt: skip
    transformer.transform(f"file://{predict}", content_type="text/csv", split_type="Line",
                          wait=False)  # fmt: skip
    transformer.wait(logs=False)
    seen["transform"] = {
        path.name: path.read_text() for path in sorted((work / "transform").iterdir())
    }
    print(json.dumps(seen))


if __name__ == "__main__":
    main(sys.argv[1], *(Path(arg) for arg in sys.argv[2:5]))
