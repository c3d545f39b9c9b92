"""Protocol-neutral inference: the dataplane and the strategies that run user code."""

from tiffin.inference.dataplane import DataPlane, ModelState

__all__ = ["DataPlane", "ModelState"]
