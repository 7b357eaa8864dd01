"""What each graded function must do: arguments, shapes, result.

The student build's stubs carry these texts as docstrings instead of the
reference docstrings, which may name the method ("the Kronecker product",
"1 where x > 0"). A contract says what goes in and what comes out, never
how to compute it.
"""

import ast
import threading
from pathlib import Path

from fashionlib.teaching.rubric import RUBRIC

#: The core package, whose modules hold the reference implementations.
PACKAGE = Path(__file__).resolve().parent.parent

#: Graded function -> its contract (the docstring of its stub).
CONTRACTS = {
    "mean_image": (
        "images: uint8 array (N, 28, 28). Returns the mean image, a float "
        "array (28, 28)."
    ),
    "class_mean_images": (
        "images: uint8 array (N, 28, 28); labels: ints (N,) in 0..9. "
        "Returns a float array (10, 28, 28) whose entry k is the mean "
        "image of class k."
    ),
    "whitening_stats": (
        "images: uint8 array (N, 28, 28). Returns (mean, std), two floats "
        "over every pixel of every image."
    ),
    "relu": "x: vector (m,) or list. Returns relu(x), a new float (m,).",
    "identity": (
        "x: vector (m,) or list. Returns identity(x), a new float (m,)."
    ),
    "sigmoid": (
        "x: vector (m,) or list. Returns sigmoid(x), a new float (m,), "
        "finite for every finite x."
    ),
    "relu_array": "X: float array, any shape. Returns relu(X), same shape.",
    "identity_array": "X: array, any shape. Returns a copy of X.",
    "sigmoid_array": (
        "X: float array, any shape. Returns sigmoid(X), same shape."
    ),
    "neuron_loss_gradient": (
        "x, w, b, y: floats; h: activation (vector to vector); h_prime: "
        "its derivative at a float. Returns [[df/dw, df/db, df/dx]] of "
        "f = (h(w x + b) - y)^2, a float row (1, 3). Practice: the warm-up "
        "earns no points."
    ),
    "neuron": (
        "x: input (m,); w: weights (m + 1,), bias last; h: activation "
        "(vector to vector). Returns the neuron's output, a float."
    ),
    "affine": (
        "x: input (m_in,); W: weights (m_out, m_in + 1), bias column "
        "last. Returns the layer's pre-activation, a float (m_out,)."
    ),
    "nn": (
        "x: input (m_0,); W_list: L matrices, W_k of shape "
        "(m_k, m_{k-1} + 1); h_list: L activations. Returns the network "
        "output x_L, a float (m_L,)."
    ),
    "random_matrix": (
        "rows, columns: ints; seed: int or numpy Generator. Returns a float "
        "matrix (rows, columns) initialised as the chapter asks; the same "
        "seed gives the same matrix."
    ),
    "initialize_network": (
        "network_shape: widths [m_0, ..., m_L]; seed: int or Generator. "
        "Returns a list of L matrices, W_k of shape (m_k, m_{k-1} + 1), "
        "biases zero; the same seed gives the same network."
    ),
    "d_relu_d_x": (
        "x: pre-activation (m,). Returns the Jacobian of relu at x, (m, m)."
    ),
    "d_identity_d_x": (
        "x: vector (m,). Returns the Jacobian of identity at x, (m, m)."
    ),
    "d_sigmoid_d_x": (
        "x: pre-activation (m,). Returns the Jacobian of sigmoid at x, (m, m)."
    ),
    "d_affine_d_x": (
        "W: weights (m_out, m_in + 1). Returns the Jacobian of "
        "affine(x, W) with respect to x, (m_out, m_in)."
    ),
    "d_affine_d_W": (
        "x: input (m_in,); W: weights (m_out, m_in + 1). Returns the "
        "Jacobian of affine(x, W) with respect to W flattened row by row, "
        "(m_out, m_out (m_in + 1))."
    ),
    "l2": (
        "x: prediction (m,); y: target (m,). Returns the loss E = "
        "l2(x, y), a float."
    ),
    "d_l2_d_x": (
        "x: prediction (m,); y: target (m,). Returns the gradient of "
        "l2(x, y) with respect to x, a row (1, m)."
    ),
    "backprop_relu_x": (
        "Jx_E: upstream row (1, m), dE/dx_k; x: pre-activation i_k (m,). "
        "Returns the row dE/di_k, (1, m), without building a Jacobian."
    ),
    "backprop_relu_array": (
        "G: upstream rows, any shape; X: pre-activations, same shape. "
        "Returns the downstream rows of relu, same shape."
    ),
    "backprop_identity_x": (
        "Jx_E: upstream row (1, m); x: pre-activation (m,). Returns the "
        "downstream row of the identity, a new float (1, m)."
    ),
    "backprop_affine_x": (
        "Jx_E: upstream row (1, m_out); W: weights (m_out, m_in + 1). "
        "Returns dE/dx for affine(x, W), a row (1, m_in), without "
        "building a Jacobian."
    ),
    "train": (
        "data_train: {'images': (N, 28, 28), 'labels': (N,) or (N, 10)}; "
        "architecture: {'W_list', 'h_list', 'back_h_list'}; learning_rate: "
        "float; seed: None (stored order) or int/Generator (shuffled); "
        "progress: show a bar. One epoch of per-sample SGD that updates "
        "architecture['W_list'] in place. Returns each sample's loss "
        "before its step, (N,)."
    ),
    "output_to_label_regression": (
        "x: a regression output, a number or shape (1,). Returns its "
        "label, an int in 0..9."
    ),
    "prediction_to_label_classification": (
        "x: class scores (10,) or a one-hot label. Returns its label, an "
        "int in 0..9."
    ),
    # the chapter "Convolution"
    "conv2d": (
        "U: image (C_in, n_h, n_w); K: kernel (C_out, C_in, k, k); b: "
        "biases (C_out,); padding, stride: ints. Returns the layer's output "
        "V, a float (C_out, n_h', n_w'), n' = (n + 2 padding - k) // "
        "stride + 1."
    ),
    "backprop_conv2d_U": (
        "G: dE/dV (C_out, n_h', n_w'); K: kernel (C_out, C_in, k, k); "
        "input_shape: (C_in, n_h, n_w); padding, stride: those of the "
        "forward pass. Returns dE/dU, a float array of input_shape."
    ),
    "backprop_conv2d_K": (
        "G: dE/dV (C_out, n_h', n_w'); U: the input (C_in, n_h, n_w); K: "
        "kernel (C_out, C_in, k, k); padding, stride: those of the forward "
        "pass. Returns dE/dK, a float array of K's shape."
    ),
    "max_pool": (
        "U: image (C, n_h, n_w); size: an int that divides n_h and n_w. "
        "Returns the maximum of each size x size block, a float "
        "(C, n_h / size, n_w / size)."
    ),
    "backprop_max_pool": (
        "G: dE/d(output) (C, n_h / size, n_w / size); U: the input "
        "(C, n_h, n_w); size: the block side. Returns dE/dU, a float array "
        "of U's shape."
    ),
}

#: Optional (hacker) functions -> the given function a stub falls back to.
FALLBACKS = {
    "backprop_relu_x": "backprop_relu_x_naive",
    "backprop_identity_x": "backprop_identity_x_naive",
    "backprop_affine_x": "backprop_affine_x_naive",
}


def chapter_of(name):
    """The rubric chapter whose checks grade function ``name`` (or None)."""
    return next(
        (
            chapter
            for chapter, rubric in RUBRIC.items()
            for p in rubric.parts
            if name in p.names
        ),
        None,
    )


def core_modules(package=PACKAGE):
    """The core modules' files: {module name: path} (no teaching, no _*)."""
    return {
        path.stem: path
        for path in sorted(Path(package).glob("*.py"))
        if not path.stem.startswith("_")
    }


#: Held while parsing, so that the grading threads take turns, since
#: ast.parse is not safe in parallel threads on CPython 3.11.7 (it raises
#: "AST constructor recursion depth mismatch").
PARSE_LOCK = threading.Lock()


def parse(source):
    """``ast.parse(source)``, one thread at a time (:data:`PARSE_LOCK`)."""
    with PARSE_LOCK:
        return ast.parse(source)


def core_functions(package=PACKAGE):
    """Every top-level function of the core modules:
    {name: (module name, ast.FunctionDef)}."""
    found = {}
    for module, path in core_modules(package).items():
        for node in parse(path.read_text()).body:
            if isinstance(node, ast.FunctionDef):
                found[node.name] = (module, node)
    return found


def graded_functions(package=PACKAGE):
    """Every function the student build stubs: {name: module name}."""
    return {
        name: module
        for name, (module, _) in core_functions(package).items()
        if name in CONTRACTS
    }


def referenced(tree):
    """Every name and attribute a syntax tree mentions."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.Attribute):
            names.add(node.attr)
        elif isinstance(node, ast.alias):
            names.add(node.name.rsplit(".", 1)[-1])
    return names


def call_graph():
    """Each core function -> the names its body mentions."""
    return {
        name: referenced(node) for name, (_, node) in core_functions().items()
    }
