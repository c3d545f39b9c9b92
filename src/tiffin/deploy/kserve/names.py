"""The names Kubernetes and KServe accept, as checks that say what is wrong with a value.

Each function returns None for a good value, else a phrase to follow the value in an
error (``"must start with a letter"``). KServe names an InferenceService with an RFC 1035
label, as Kubernetes does a Service; namespaces are RFC 1123 labels; service accounts
RFC 1123 subdomains; label and annotation keys are qualified names with an optional
DNS prefix.
"""

from __future__ import annotations

import re

DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
ENV_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
IMAGE_REFERENCE = re.compile(
    rf"^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]+)?/)?{_COMPONENT}(?:/{_COMPONENT})*"
    r"(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$"
)
LABEL_MAX = 63
SUBDOMAIN_MAX = 253
LOWER_DIGITS_DASH = "lowercase letters, digits and '-'"


def rfc1035_label(value: str) -> str | None:
    """A Service or InferenceService name: ``iris-v2``."""
    if len(value) > LABEL_MAX:
        return f"is {len(value)} characters long; the most is {LABEL_MAX}"
    if not DNS1035_LABEL.match(value):
        return f"must be {LOWER_DIGITS_DASH}, start with a letter and end with a letter or digit"
    return None


def rfc1123_label(value: str) -> str | None:
    """A namespace: ``ml-prod``."""
    if len(value) > LABEL_MAX:
        return f"is {len(value)} characters long; the most is {LABEL_MAX}"
    if not DNS1123_LABEL.match(value):
        return f"must be {LOWER_DIGITS_DASH}, starting and ending with a letter or digit"
    return None


def rfc1123_subdomain(value: str) -> str | None:
    """A service account: ``models.reader``."""
    if len(value) > SUBDOMAIN_MAX:
        return f"is {len(value)} characters long; the most is {SUBDOMAIN_MAX}"
    if not DNS1123_SUBDOMAIN.match(value):
        return f"must be {LOWER_DIGITS_DASH} in parts joined by '.'"
    return None


def qualified_key(value: str) -> str | None:
    """A label or annotation key: ``team`` or ``example.com/team``."""
    prefix, slash, name = value.rpartition("/")
    if slash and (not prefix or rfc1123_subdomain(prefix)):
        return f"has a prefix {prefix!r} that is not a DNS subdomain (example.com/)"
    if len(name) > LABEL_MAX or not QUALIFIED_NAME.match(name):
        return (
            f"must be at most {LABEL_MAX} letters, digits, '-', '_' or '.', starting and "
            "ending with a letter or digit, after an optional DNS prefix (example.com/)"
        )
    return None


def label_value(value: str) -> str | None:
    """A label value: empty, or up to 63 letters, digits, '-', '_' and '.'."""
    if len(value) > LABEL_MAX or not LABEL_VALUE.match(value):
        return (
            f"must be at most {LABEL_MAX} letters, digits, '-', '_' or '.', starting and "
            "ending with a letter or digit"
        )
    return None


def env_name(value: str) -> str | None:
    """An environment variable name: ``LOG_LEVEL``."""
    if not ENV_NAME.match(value):
        return "must be letters, digits, '_', '-' or '.', not starting with a digit"
    return None


def image_reference(value: str) -> str | None:
    """An image reference: ``registry.example.com:5000/team/iris:0.1.0``."""
    if not IMAGE_REFERENCE.match(value):
        return "is not an image reference (REGISTRY/REPOSITORY:TAG, lowercase repository)"
    return None


def to_rfc1035(value: str) -> str:
    """``Iris_Model.v2`` -> ``iris-model-v2``: a default name made valid, or '' if none is."""
    name = re.sub(r"[^a-z0-9-]+", "-", value.lower())
    name = re.sub(r"^[^a-z]+", "", name)
    return name[:LABEL_MAX].rstrip("-")
