"""The HTTP server: ASGI app assembly, errors, metrics, workers and the process manager."""

from tiffin.server.app import TiffinApp
from tiffin.server.factory import create_app

__all__ = ["TiffinApp", "create_app"]
