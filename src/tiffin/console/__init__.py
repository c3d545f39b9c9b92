"""The browser console: try the served model and watch its traffic, from the server itself.

==============================  ==========================================================
``GET /console``                the page (also ``GET /`` for a browser that prefers HTML)
``GET /console/static/{file}``  its bundled CSS, JavaScript and icon
``GET /console/api/models``     the served models: state, metadata, example input (JSON)
==============================  ==========================================================

The page needs nothing else from anywhere: its form posts to the protocols' own routes
and its charts read ``GET /metrics``. ``server.console: false`` leaves these routes out.
"""

from __future__ import annotations

from tiffin.console.routes import page, routes

__all__ = ["page", "routes"]
