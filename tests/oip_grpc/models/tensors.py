"""A single-file model for the gRPC tests: it echoes its input tensors as outputs.

One input comes back as ``echo`` next to ``pid`` (the worker's process id). Several come
back under their own names, unless one is a ``command`` (BYTES): ``raise`` fails,
``sleep`` sleeps ``value`` seconds, ``big`` answers ``value`` zero bytes.
"""

import os
import time

import numpy as np


class Tensors:
    def predict(self, inputs):
        if not isinstance(inputs, dict):
            return {"echo": inputs, "pid": np.array([os.getpid()], dtype=np.int64)}
        if "command" not in inputs:
            return inputs
        word = inputs["command"].ravel()[0]
        word = word.decode() if isinstance(word, bytes) else str(word)
        value = float(inputs["value"].ravel()[0]) if "value" in inputs else 0.0
        if word == "raise":
            raise ValueError("the model was asked to fail")
        if word == "sleep":
            time.sleep(value)
            return {"slept": np.array([value])}
        if word == "big":
            return {"big": np.zeros(int(value), dtype=np.uint8)}
        return {"unknown": np.array([word], dtype=object)}
