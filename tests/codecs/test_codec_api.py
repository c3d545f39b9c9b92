"""The public surface of tiffin.codecs."""

from __future__ import annotations

import subprocess
import sys

import tiffin.codecs as codecs


def test_all_does_not_drift() -> None:
    assert sorted(codecs.__all__) == sorted(
        [
            "CSVCodec",
            "Codec",
            "DATATYPES",
            "DEFAULT_MEDIA_TYPE",
            "MEDIA_TYPE_BY_SUFFIX",
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
    )
    for name in codecs.__all__:
        assert hasattr(codecs, name), name


def test_import_does_not_import_pandas() -> None:
    code = "import sys, tiffin.codecs; assert 'pandas' not in sys.modules, 'pandas imported'"
    subprocess.run([sys.executable, "-c", code], check=True)
