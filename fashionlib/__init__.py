"""fashionlib: a fully connected network from first principles.

It learns to classify the images of Fashion-MNIST.

The package is the code of the book: each module holds one chapter's ideas.
Vectors are 1-D arrays ``(m,)``; a layer's weights ``W`` have shape ``(m_out,
m_in + 1)`` with the bias in the last column; gradients of the scalar loss are
rows ``(1, m)``.
"""

import importlib
import importlib.util

#: Module -> the public names it defines. Each module loads on first use
#: of one of its names, so that importing one chapter's module (say
#: ``fashionlib.network``) loads only what that module imports.
MODULES = {
    "activations": (
        "identity",
        "relu",
        "sigmoid",
    ),
    "backprop": (
        "architecture",
        "backprop_affine_W",
        "backprop_affine_W_naive",
        "backprop_affine_x",
        "backprop_affine_x_naive",
        "backprop_identity_x",
        "backprop_identity_x_naive",
        "backprop_nn_W",
        "backprop_relu_x",
        "backprop_relu_x_naive",
        "backprop_sigmoid_x",
        "backprop_sigmoid_x_naive",
        "numerical_gradient_W",
        "numerical_jacobian",
        "relative_error",
    ),
    "data": (
        "LABEL_NAMES",
        "class_mean_images",
        "load",
        "mean_image",
        "one_hot",
        "prepare_classification",
        "prepare_regression",
        "whitening_stats",
    ),
    "evaluation": (
        "accuracy",
        "confusion_matrix",
        "output_to_label_regression",
        "prediction_to_label_classification",
    ),
    "jacobians": (
        "d_affine_d_W",
        "d_affine_d_x",
        "d_identity_d_x",
        "d_relu_d_x",
        "d_sigmoid_d_x",
    ),
    "layers": (
        "affine",
        "neuron",
    ),
    "loss": (
        "d_l2_d_x",
        "l2",
    ),
    "network": (
        "initialize_network",
        "nn",
        "random_matrix",
    ),
    "training": (
        "train",
        "train_and_evaluate",
    ),
}
#: Public name -> its module.
EXPORTS = {name: module for module, names in MODULES.items() for name in names}

__all__ = sorted(EXPORTS)


def __getattr__(name):
    """A public name or a submodule, imported on first use."""
    if name in EXPORTS:
        module = importlib.import_module(f"fashionlib.{EXPORTS[name]}")
        return getattr(module, name)
    if importlib.util.find_spec(f"fashionlib.{name}") is None:
        raise AttributeError(f"module 'fashionlib' has no attribute {name!r}")
    return importlib.import_module(f"fashionlib.{name}")


def __dir__():
    """The module's own names and the public ones."""
    return [*globals(), *__all__]


__version__ = "0.1.0"
