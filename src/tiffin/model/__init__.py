"""The model contract: checking user code, adapting functions, running the pipeline."""

from tiffin.model.contract import INJECTABLE_ARGS, check_model_class
from tiffin.model.functions import FunctionModel
from tiffin.model.handle import ModelHandle
from tiffin.model.loader import build_handle, load

__all__ = [
    "INJECTABLE_ARGS",
    "FunctionModel",
    "ModelHandle",
    "build_handle",
    "check_model_class",
    "load",
]
