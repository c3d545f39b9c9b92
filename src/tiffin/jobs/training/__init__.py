"""Training under the SageMaker training contract, locally or in a container."""

from tiffin.jobs.training.context import TrainingContext
from tiffin.jobs.training.runner import TrainingResult, publish_model, run_training
from tiffin.opt_ml.paths import TrainingPaths, default_base

__all__ = [
    "TrainingContext",
    "TrainingPaths",
    "TrainingResult",
    "default_base",
    "publish_model",
    "run_training",
]
