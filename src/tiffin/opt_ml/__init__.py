"""The SageMaker container contract's ``/opt/ml`` tree: its paths and its config files.

Training (``jobs/training``) runs inside it, and ``tiffin run`` (``build/run``) lays it
out on the host for a container; both depend on this package, neither on the other.
"""

from tiffin.opt_ml.config import TrainingConfig, read_config, write_local_config
from tiffin.opt_ml.paths import SAGEMAKER_BASE, TrainingPaths

__all__ = ["SAGEMAKER_BASE", "TrainingConfig", "TrainingPaths", "read_config", "write_local_config"]
