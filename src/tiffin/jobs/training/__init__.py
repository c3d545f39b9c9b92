"""Training under the SageMaker training contract, locally or in a container."""

from tiffin.jobs.training.context import TrainingContext
from tiffin.jobs.training.paths import TrainingPaths, default_base
from tiffin.jobs.training.runner import TrainingResult, publish_model, run_training

__all__ = [
    "TrainingContext",
    "TrainingPaths",
    "TrainingResult",
    "default_base",
    "publish_model",
    "run_training",
]
