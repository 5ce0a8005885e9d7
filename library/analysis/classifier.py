"""The one-shot category classifier: small networks and a linear model, learned from real sounds.

The weights ship beside this module as ``category_model.npz`` (plain arrays,
no pickle) and are rebuilt from scratch by ``bench/train_categories.py``.
Several networks trained from different seeds are averaged, which makes the
probabilities steadier than any one of them, and weighed against a linear
model (a member with no hidden layer), whose smoother boundaries carry better
to kits unlike any it learned from; a temperature fitted on held-out kits then
makes the probabilities honest (see the README's accuracy section).
"""

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from library.analysis.timbre import TIMBRE_NAMES

MODEL_PATH = Path(__file__).with_name("category_model.npz")
# Standardised inputs are clipped here: a value far outside anything the
# network was trained on (an odd file) must not decide the class by itself.
MAX_STANDARD_SCORE = 8.0


@dataclass(frozen=True)
class Network:
    """Standardisation, the layers and weight of each member, the classes and the temperature.

    A member is a list of (weights, bias) layers, every one but the last
    followed by a ReLU; a member of one layer is a linear model.
    """

    feature_names: tuple[str, ...]
    classes: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    members: tuple[tuple[tuple[np.ndarray, np.ndarray], ...], ...]
    member_weights: tuple[float, ...]
    temperature: float

    def logits(self, features: np.ndarray) -> np.ndarray:
        """Weighted average of the members' log-probabilities for rows of raw features."""
        standard = (np.atleast_2d(features) - self.mean) / self.scale
        standard = np.clip(standard, -MAX_STANDARD_SCORE, MAX_STANDARD_SCORE)
        total = np.zeros((standard.shape[0], len(self.classes)))
        for layers, share in zip(self.members, self.member_weights, strict=True):
            activation = standard
            for weights, bias in layers[:-1]:
                activation = np.maximum(activation @ weights + bias, 0.0)
            weights, bias = layers[-1]
            total += share * log_softmax(activation @ weights + bias)
        return total / sum(self.member_weights)

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        """Calibrated class probabilities, one row per row of features."""
        return np.exp(log_softmax(self.logits(features) / self.temperature))


def log_softmax(values: np.ndarray) -> np.ndarray:
    """Log-probabilities of each row of scores, computed without overflow."""
    shifted = values - values.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def save(path, network: Network, **extra) -> None:
    """Write a network as plain arrays: member m's layer l is ``m{m}_w{l}`` / ``m{m}_b{l}``."""
    arrays = {
        "feature_names": np.array(network.feature_names),
        "classes": np.array(network.classes),
        "mean": network.mean,
        "scale": network.scale,
        "member_weights": np.array(network.member_weights),
        "temperature": np.array(network.temperature),
    }
    for m, layers in enumerate(network.members):
        for index, (weights, bias) in enumerate(layers):
            arrays[f"m{m}_w{index}"] = weights.astype(np.float32)
            arrays[f"m{m}_b{index}"] = bias.astype(np.float32)
    np.savez_compressed(path, **arrays, **{key: np.array(value) for key, value in extra.items()})


def load(path=MODEL_PATH) -> Network:
    """Read a network written by ``save``."""
    with np.load(path, allow_pickle=False) as data:
        members = []
        while f"m{len(members)}_w0" in data:
            m, layers = len(members), []
            while f"m{m}_w{len(layers)}" in data:
                index = len(layers)
                layers.append((data[f"m{m}_w{index}"], data[f"m{m}_b{index}"]))
            members.append(tuple(layers))
        return Network(
            feature_names=tuple(str(name) for name in data["feature_names"]),
            classes=tuple(str(name) for name in data["classes"]),
            mean=data["mean"],
            scale=data["scale"],
            members=tuple(members),
            member_weights=tuple(float(share) for share in data["member_weights"]),
            temperature=float(data["temperature"]),
        )


@lru_cache(maxsize=1)
def shipped() -> Network:
    """The network shipped with the app, read once per process."""
    network = load(MODEL_PATH)
    if network.feature_names != TIMBRE_NAMES:
        raise RuntimeError(
            f"{MODEL_PATH.name} was trained on other timbre features than the code measures; "
            "rebuild it with bench/train_categories.py."
        )
    return network
