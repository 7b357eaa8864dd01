"""Shared fixtures: the architecture dicts used across tests."""

import numpy as np
import pytest
from hypothesis import settings

import fashionlib as fl

# Deterministic examples and no per-example deadline: CI machines are shared and noisy.
settings.register_profile("fashionlib", derandomize=True, deadline=None, max_examples=60)
settings.load_profile("fashionlib")


def make_architecture(shape, activation="relu", seed=0, naive=False):
    """An architecture dict for ``shape`` with ``activation`` on hidden layers and identity at the output."""
    suffix = "_naive" if naive else ""
    hidden = {"relu": fl.relu, "sigmoid": fl.sigmoid, "identity": fl.identity}[activation]
    back_hidden = getattr(fl, f"backprop_{activation}_x{suffix}")
    back_identity = getattr(fl, f"backprop_identity_x{suffix}")
    layers = len(shape) - 1
    return {
        "W_list": fl.initialize_network(shape, seed=seed),
        "h_list": [hidden] * (layers - 1) + [fl.identity],
        "back_h_list": [back_hidden] * (layers - 1) + [back_identity],
    }


@pytest.fixture
def rng():
    """A fresh seeded Generator per test."""
    return np.random.default_rng(42)
