"""fashionlib: a fully connected network from first principles.

It learns to classify the images of Fashion-MNIST.

The package is the code of the book: each module holds one chapter's ideas.
Vectors are 1-D arrays ``(m,)``; a layer's weights ``W`` have shape ``(m_out,
m_in + 1)`` with the bias in the last column; gradients of the scalar loss are
rows ``(1, m)``.
"""

from fashionlib.activations import identity, relu, sigmoid
from fashionlib.backprop import (
    backprop_affine_W,
    backprop_affine_W_naive,
    backprop_affine_x,
    backprop_affine_x_naive,
    backprop_identity_x,
    backprop_identity_x_naive,
    backprop_nn_W,
    backprop_relu_x,
    backprop_relu_x_naive,
    backprop_sigmoid_x,
    backprop_sigmoid_x_naive,
    numerical_gradient_W,
    numerical_jacobian,
    relative_error,
)
from fashionlib.data import (
    LABEL_NAMES,
    class_mean_images,
    load,
    mean_image,
    one_hot,
    prepare_classification,
    prepare_regression,
    whitening_stats,
)
from fashionlib.evaluation import (
    accuracy,
    confusion_matrix,
    output_to_label_regression,
    prediction_to_label_classification,
)
from fashionlib.jacobians import (
    d_affine_d_W,
    d_affine_d_x,
    d_identity_d_x,
    d_relu_d_x,
    d_sigmoid_d_x,
)
from fashionlib.layers import affine, neuron
from fashionlib.loss import d_l2_d_x, l2
from fashionlib.network import (
    architecture,
    initialize_network,
    nn,
    random_matrix,
)
from fashionlib.training import train, train_and_evaluate

__all__ = [
    "LABEL_NAMES",
    "accuracy",
    "affine",
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
    "class_mean_images",
    "confusion_matrix",
    "d_affine_d_W",
    "d_affine_d_x",
    "d_identity_d_x",
    "d_l2_d_x",
    "d_relu_d_x",
    "d_sigmoid_d_x",
    "identity",
    "initialize_network",
    "l2",
    "load",
    "mean_image",
    "neuron",
    "nn",
    "numerical_gradient_W",
    "numerical_jacobian",
    "one_hot",
    "output_to_label_regression",
    "prediction_to_label_classification",
    "prepare_classification",
    "prepare_regression",
    "random_matrix",
    "relative_error",
    "relu",
    "sigmoid",
    "train",
    "train_and_evaluate",
    "whitening_stats",
]

__version__ = "0.1.0"
