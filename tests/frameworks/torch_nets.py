"""Small PyTorch modules for the adapter tests, importable by the served package.

``KeywordNet`` cannot be compiled to TorchScript (its ``forward`` takes
``**options``), so tiffin saves it as a state_dict plus this module's class.
"""

from __future__ import annotations

import torch
from torch import nn


class TinyNet(nn.Module):
    """Four features in, three class probabilities out."""

    def __init__(self) -> None:
        super().__init__()
        self.layers = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.layers(features), dim=-1)


class KeywordNet(TinyNet):
    """TinyNet with a forward that TorchScript rejects."""

    def forward(self, features: torch.Tensor, **options: float) -> torch.Tensor:
        return super().forward(features) * options.get("scale", 1.0)
