"""One call to the Kubernetes API through the client's configured connection.

The Kubernetes Python client makes the connection: TLS, client certificates, tokens and
exec plugins from the kubeconfig. Its generated typed APIs changed their calling
conventions in release 37 (``_content_type`` for server-side apply exists only from
then on), so tiffin calls REST paths directly through the one ``ApiClient`` method each
generation has, and gets plain dicts back for every kind alike. A refused call raises
the client's ``ApiException`` either way.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

AUTH = ["BearerToken"]


def request(
    api_client: Any,
    method: str,
    path: str,
    *,
    query: Sequence[tuple[str, str]] = (),
    body: Any = None,
    content_type: str | None = None,
) -> Any:
    """``METHOD path?query`` with ``body``; the decoded JSON answer (None when empty)."""
    headers = {"Accept": "application/json"}
    if content_type:
        headers["Content-Type"] = content_type
    if hasattr(api_client, "param_serialize"):
        data = _call_current(api_client, method, path, list(query), headers, body)
    else:
        data = _call_legacy(api_client, method, path, list(query), headers, body)
    return json.loads(data) if data else None


def _call_current(
    api_client: Any,
    method: str,
    path: str,
    query: list[tuple[str, str]],
    headers: dict[str, str],
    body: Any,
) -> bytes:
    """kubernetes >= 37: serialize, call, raise on a non-2xx status."""
    from kubernetes.client.exceptions import ApiException

    prepared = api_client.param_serialize(
        method, path, query_params=query, header_params=headers, body=body, auth_settings=AUTH
    )
    response = api_client.call_api(*prepared)
    response.read()
    if not 200 <= response.status <= 299:
        text = response.data.decode("utf-8", "replace") if response.data else None
        raise ApiException.from_response(http_resp=response, body=text, data=None)
    return bytes(response.data or b"")


def _call_legacy(
    api_client: Any,
    method: str,
    path: str,
    query: list[tuple[str, str]],
    headers: dict[str, str],
    body: Any,
) -> bytes:
    """kubernetes < 37: one ``call_api`` that raises on a non-2xx status itself."""
    response = api_client.call_api(
        path,
        method,
        {},
        query,
        headers,
        body=body,
        auth_settings=AUTH,
        _preload_content=False,
        _return_http_data_only=True,
    )
    return bytes(response.data or b"")
