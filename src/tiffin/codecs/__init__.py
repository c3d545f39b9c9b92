"""Codecs: turn request bodies into Python values and values into response bodies.

Importing this package registers every built-in codec: ``application/json``,
``text/csv``, ``application/x-npy``, ``application/jsonlines`` and
``application/x-msgpack``. :mod:`tiffin.codecs.tensors` handles Open Inference
Protocol (V2) tensors, including the binary data extension.
"""

from __future__ import annotations

from tiffin.codecs.csvcodec import CSVCodec
from tiffin.codecs.jsoncodec import JSONCodec, dumps, dumps_result, loads
from tiffin.codecs.jsonlines import JSONLinesCodec
from tiffin.codecs.msgpackcodec import MsgpackCodec
from tiffin.codecs.npycodec import NPYCodec
from tiffin.codecs.registry import (
    DEFAULT_MEDIA_TYPE,
    MEDIA_TYPE_BY_SUFFIX,
    Codec,
    decoder_for,
    encode_result,
    encoder_for,
    media_type,
    media_type_of_file,
    register_codec,
    supported_media_types,
    unregister_codec,
)
from tiffin.codecs.tensors import (
    DATATYPES,
    bytes_elements,
    datatype_of,
    decode_request_inputs,
    decode_tensor,
    encode_binary_response,
    encode_tensor,
    raw_tensor,
    split_binary_body,
    tensor_array,
)

__all__ = [
    "DATATYPES",
    "DEFAULT_MEDIA_TYPE",
    "MEDIA_TYPE_BY_SUFFIX",
    "CSVCodec",
    "Codec",
    "JSONCodec",
    "JSONLinesCodec",
    "MsgpackCodec",
    "NPYCodec",
    "bytes_elements",
    "datatype_of",
    "decode_request_inputs",
    "decode_tensor",
    "decoder_for",
    "dumps",
    "dumps_result",
    "encode_binary_response",
    "encode_result",
    "encode_tensor",
    "encoder_for",
    "loads",
    "media_type",
    "media_type_of_file",
    "raw_tensor",
    "register_codec",
    "split_binary_body",
    "supported_media_types",
    "tensor_array",
    "unregister_codec",
]
