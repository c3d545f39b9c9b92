"""Codec registry: Content-Type lookup, Accept negotiation, duplicate refusal."""

from __future__ import annotations

from typing import Any

import pytest

import tiffin.codecs as codecs
from tiffin.codecs import Codec, decoder_for, encoder_for, register_codec, unregister_codec
from tiffin.errors import NotAcceptable, UnsupportedMediaType


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        (None, "application/json"),
        ("", "application/json"),
        ("application/json", "application/json"),
        ("application/json; charset=utf-8", "application/json"),
        ("Application/JSON", "application/json"),
        ("text/csv;charset=UTF-8", "text/csv"),
        ("application/x-npy", "application/x-npy"),
        ("application/jsonlines", "application/jsonlines"),
        ("application/x-jsonlines", "application/jsonlines"),
        ("application/jsonl", "application/jsonlines"),
        ("application/x-msgpack", "application/x-msgpack"),
        ("application/msgpack", "application/x-msgpack"),
    ],
)
def test_decoder_for(content_type: str | None, expected: str) -> None:
    assert decoder_for(content_type).media_type == expected


def test_decoder_for_unknown_type() -> None:
    with pytest.raises(UnsupportedMediaType) as info:
        decoder_for("image/png; q=1")
    assert info.value.content_type == "image/png; q=1"
    assert "application/json" in info.value.supported
    assert str(info.value).startswith("unsupported Content-Type 'image/png; q=1'; supported: ")


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "application/json"),
        ("", "application/json"),
        ("*/*", "application/json"),
        ("*", "application/json"),
        ("text/csv", "text/csv"),
        ("TEXT/CSV; charset=utf-8", "text/csv"),
        ("text/*", "text/csv"),
        ("application/*", "application/json"),
        ("text/csv, application/json", "text/csv"),
        ("application/json, text/csv", "application/json"),
        ("application/json;q=0.5, text/csv", "text/csv"),
        ("text/csv;q=0.2, application/x-npy;q=0.9", "application/x-npy"),
        ("text/html, */*;q=0.1", "application/json"),
        ("*/*, application/json;q=0", "application/jsonlines"),
        ("*/*;q=0.5, text/csv", "text/csv"),
        ("application/x-jsonlines", "application/jsonlines"),
        ("application/msgpack", "application/x-msgpack"),
        ("text/csv;q=oops", "text/csv"),
    ],
)
def test_encoder_for(accept: str | None, expected: str) -> None:
    assert encoder_for(accept).media_type == expected


def test_encoder_for_custom_default() -> None:
    assert encoder_for(None, default="text/csv").media_type == "text/csv"
    assert encoder_for("*/*", default="text/csv").media_type == "text/csv"
    assert encoder_for("application/*", default="application/x-npy").media_type == (
        "application/x-npy"
    )


@pytest.mark.parametrize("accept", ["image/png", "text/csv;q=0", "text/html, image/*"])
def test_encoder_for_not_acceptable(accept: str) -> None:
    with pytest.raises(NotAcceptable) as info:
        encoder_for(accept)
    assert info.value.accept == accept
    assert info.value.supported == codecs.supported_media_types()
    assert str(info.value).startswith(f"cannot produce any type in Accept {accept!r}; available:")


def test_supported_media_types_lists_primary_types() -> None:
    assert codecs.supported_media_types() == [
        "application/json",
        "application/jsonlines",
        "application/x-msgpack",
        "application/x-npy",
        "text/csv",
    ]


def test_duplicate_registration_raises() -> None:
    class Again(Codec):
        media_type = "application/json"

    with pytest.raises(ValueError, match="'application/json' is already registered by codec"):
        register_codec(Again)
    assert type(decoder_for("application/json")).__name__ == "JSONCodec"


def test_duplicate_alias_raises_and_registers_nothing() -> None:
    class Sneaky(Codec):
        media_type = "application/x-sneaky"
        aliases = ("application/msgpack",)

    with pytest.raises(ValueError, match="already registered"):
        register_codec(Sneaky)
    with pytest.raises(UnsupportedMediaType):
        decoder_for("application/x-sneaky")


def test_register_and_unregister_new_codec() -> None:
    @register_codec
    class Upper(Codec):
        media_type = "text/x-upper"

        def decode(self, body: bytes) -> Any:
            return body.decode().upper()

        def encode(self, value: Any) -> bytes:
            return str(value).upper().encode()

    try:
        assert decoder_for("text/x-upper; charset=utf-8").decode(b"hi") == "HI"
        assert encoder_for("text/x-upper").encode("ok") == b"OK"
        # the cached negotiation sees the new codec
        assert encoder_for("text/*, application/json;q=0.1").media_type in {
            "text/csv",
            "text/x-upper",
        }
    finally:
        unregister_codec("text/x-upper")
    with pytest.raises(UnsupportedMediaType):
        decoder_for("text/x-upper")
