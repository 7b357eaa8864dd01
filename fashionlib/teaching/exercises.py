"""One record per exercise: everything the course knows of one function.

A record (:class:`Exercise`) holds the function's chapter, its points, its
hacker flag, its contract (the docstring of its stub: what goes in and what
comes out, never how to compute it), the grader's probes, how their results
are compared with the reference's, and the given function an optional one
falls back to. The rubric (:mod:`fashionlib.teaching.rubric`), the stubs of
the student build and notebooks, the grader's probes and its graded set
all derive from :data:`EXERCISES`. Adding an exercise touches one record
here, one ``check_*`` in :mod:`fashionlib.checks` and the chapter.

A probe is ``(label, code)``: :func:`fashionlib.teaching.harness.run_calls`
runs the code with ``f`` the student's function (or the reference), ``A``
the inputs of :func:`fashionlib.teaching.probes.make_inputs` and ``g`` the
graded definitions' namespace. Functions that take an activation get the
harness's ``tanh_`` and ``half_``, which no graded function computes.
"""

import textwrap
from dataclasses import dataclass

from fashionlib.teaching.probes import (
    compare,
    compare_network,
    compare_random_matrix,
)


@dataclass(frozen=True)
class Exercise:
    """One function the student writes (or, with ``names``, the values
    the check of ``name`` is run on).

    An empty ``contract`` means the student build ships it as it is; no
    ``probes`` means the grader does not grade it (practice, or the array
    version of a graded function); ``fallback`` names the given function an
    optional one falls back to until the student writes it.
    """

    name: str
    chapter: str
    points: int = 0
    contract: str = ""
    probes: tuple = ()
    hacker: bool = False
    comparison: object = compare
    fallback: str = ""
    names: tuple = ()

    def __post_init__(self):
        if not self.names:
            object.__setattr__(self, "names", (self.name,))

    @property
    def check(self):
        """The :mod:`fashionlib.checks` function that verifies it."""
        return f"check_{self.name}"


#: Chapter -> its title and the parts graded by hand (what, points).
CHAPTERS = {
    "data": ("Data set preparation", ()),
    "activations": ("Activation units", ()),
    "neuron": ("A single neuron", ()),
    "network": ("Network definition", ()),
    "initialisation": (
        "Network initialisation",
        (("why sqrt(3 / m) keeps the variance at 1", 5),),
    ),
    "jacobians": ("Layer-wise Jacobian matrices", ()),
    "objective": ("Objective function", ()),
    "backprop": (
        "Backpropagation (given code, and optional fast versions)",
        (),
    ),
    "sgd": ("Stochastic gradient descent", ()),
    "regression": ("Regression", ()),
    "classification": ("Classification", ()),
    # beyond the homework: optional points
    "convolution": ("Convolution", ()),
}

#: Probe code shared by several records.
UNCHANGED = "x = A['v'].copy(); out = [f(x), x]"
SEEDED = (
    "s = int(A['seed']); out = [f(200, 300, seed=s), f(200, 300, seed=s), "
    "f(200, 300, seed=s + 1)]"
)
LABELS = (
    "r = [f(x) for x in {}]\n"
    "out = [r, [isinstance(v, (int, np.integer)) for v in r]]"
)


TRAIN = (
    "arch = {'W_list': [A['Wt'].copy()], 'h_list': [half_], "
    "'back_h_list': [back_half_]}\n"
    "losses = f({'images': A['timages'], 'labels': A['tlabels']}, arch, "
    "0.05)\nout = [*arch['W_list'], losses]"
)

#: Every exercise, in the order of the chapters and of the rubric.
EXERCISES = {
    e.name: e
    for e in (
        Exercise(
            "mean_image",
            "data",
            points=4,
            contract=(
                "images: uint8 array (N, 28, 28). Returns the mean image, a "
                "float array (28, 28)."
            ),
            probes=(
                ("mean_image(images (7, 28, 28))", "out = f(A['images'])"),
            ),
        ),
        Exercise(
            "class_mean_images",
            "data",
            points=3,
            contract=(
                "images: uint8 array (N, 28, 28); labels: ints (N,) in "
                "0..9. Returns a float array (10, 28, 28) whose entry k is "
                "the mean image of class k."
            ),
            probes=(
                (
                    "class_mean_images(images (30, 28, 28), labels (30,))",
                    "out = f(A['images30'], A['labels30'])",
                ),
            ),
        ),
        Exercise(
            "whitening_stats",
            "data",
            points=3,
            contract=(
                "images: uint8 array (N, 28, 28). Returns (mean, std), two "
                "floats over every pixel of every image."
            ),
            probes=(
                (
                    "whitening_stats(images (7, 28, 28))",
                    "out = f(A['images'])",
                ),
            ),
        ),
        Exercise(
            "relu",
            "activations",
            points=4,
            contract=(
                "x: vector (m,) or list. Returns relu(x), a new float (m,)."
            ),
            probes=(
                ("relu([-1, 0, 1])", "out = f([-1, 0, 1])"),
                ("relu(x (5,))", UNCHANGED),
            ),
        ),
        Exercise(
            "identity",
            "activations",
            points=2,
            contract=(
                "x: vector (m,) or list. Returns identity(x), a new float "
                "(m,)."
            ),
            probes=(
                ("identity([-1, 0, 1])", "out = f([-1, 0, 1])"),
                ("identity(x (5,))", UNCHANGED),
            ),
        ),
        Exercise(
            "sigmoid",
            "activations",
            points=4,
            contract=(
                "x: vector (m,) or list. Returns sigmoid(x), a new float "
                "(m,), finite for every finite x."
            ),
            probes=(
                ("sigmoid([-1, 0, 1])", "out = f([-1, 0, 1])"),
                ("sigmoid(x (5,))", UNCHANGED),
                (
                    "sigmoid([-1000, 1000])",
                    "out = f(np.array([-1000.0, 1000.0]))",
                ),
            ),
        ),
        Exercise(
            "relu_array",
            "activations",
            contract="X: float array, any shape. Returns relu(X), same shape.",
        ),
        Exercise(
            "identity_array",
            "activations",
            contract="X: array, any shape. Returns a copy of X.",
        ),
        Exercise(
            "sigmoid_array",
            "activations",
            contract=(
                "X: float array, any shape. Returns sigmoid(X), same shape."
            ),
        ),
        Exercise(
            "neuron_loss_gradient",
            "warmup",
            contract=(
                "x, w, b, y: floats; h: activation (vector to vector); "
                "h_prime: its derivative at a float. Returns [[df/dw, df/db, "
                "df/dx]] of f = (h(w x + b) - y)^2, a float row (1, 3). "
                "Practice: the warm-up earns no points."
            ),
        ),
        Exercise(
            "neuron",
            "neuron",
            points=10,
            contract=(
                "x: input (m,); w: weights (m + 1,), bias last; h: "
                "activation (vector to vector). Returns the neuron's output, "
                "a float."
            ),
            probes=(
                (
                    "neuron(x (5,), w (6,), tanh)",
                    "out = f(A['v'], A['w'], tanh_)",
                ),
                (
                    "neuron(x (5,), w (6,), z / 2)",
                    "out = f(A['v'], A['w'], half_)",
                ),
            ),
        ),
        Exercise(
            "weight_shapes",
            "network",
            points=3,
            probes=(("W1 and W2", "out = [g.get('W1'), g.get('W2')]"),),
            names=("W1", "W2"),
        ),
        Exercise(
            "affine",
            "network",
            points=6,
            contract=(
                "x: input (m_in,); W: weights (m_out, m_in + 1), bias "
                "column last. Returns the layer's pre-activation, a float "
                "(m_out,)."
            ),
            probes=(
                (
                    "affine(x (5,), W (3, 6))",
                    "x, W = A['v'], A['W']; out = [f(x, W), x, W]",
                ),
            ),
        ),
        Exercise(
            "nn",
            "network",
            points=6,
            contract=(
                "x: input (m_0,); W_list: L matrices, W_k of shape "
                "(m_k, m_{k-1} + 1); h_list: L activations. Returns the "
                "network output x_L, a float (m_L,)."
            ),
            probes=(
                (
                    "nn(x (5,), [W (3, 6), W (2, 4)], [tanh, z / 2])",
                    "out = f(A['v'], [A['W'], A['W2']], [tanh_, half_])",
                ),
            ),
        ),
        Exercise(
            "random_matrix",
            "initialisation",
            points=5,
            contract=(
                "rows, columns: ints; seed: int or numpy Generator. Returns "
                "a float matrix (rows, columns) initialised as the chapter "
                "asks; the same seed gives the same matrix."
            ),
            probes=(
                (
                    "random_matrix(200, 300, seed=s), twice, then seed=s + 1",
                    SEEDED,
                ),
            ),
            comparison=compare_random_matrix,
        ),
        Exercise(
            "initialize_network",
            "initialisation",
            points=5,
            contract=(
                "network_shape: widths [m_0, ..., m_L]; seed: int or "
                "Generator. Returns a list of L matrices, W_k of shape "
                "(m_k, m_{k-1} + 1), biases zero; the same seed gives the "
                "same network."
            ),
            probes=(
                (
                    "initialize_network([300, 200, 100], seed=s), twice, "
                    "then seed=s + 1",
                    "s = int(A['seed']); shape = [300, 200, 100]\n"
                    "out = [*f(shape, seed=s), *f(shape, seed=s), "
                    "*f(shape, seed=s + 1)]",
                ),
            ),
            comparison=compare_network,
        ),
        Exercise(
            "d_relu_d_x",
            "jacobians",
            points=3,
            contract=(
                "x: pre-activation (m,). Returns the Jacobian of relu at x, "
                "(m, m)."
            ),
            probes=(("d_relu_d_x(x (5,))", "out = f(A['v'])"),),
        ),
        Exercise(
            "d_identity_d_x",
            "jacobians",
            points=2,
            contract=(
                "x: vector (m,). Returns the Jacobian of identity at x, "
                "(m, m)."
            ),
            probes=(("d_identity_d_x(x (5,))", "out = f(A['v'])"),),
        ),
        Exercise(
            "d_sigmoid_d_x",
            "jacobians",
            points=3,
            contract=(
                "x: pre-activation (m,). Returns the Jacobian of sigmoid at "
                "x, (m, m)."
            ),
            probes=(("d_sigmoid_d_x(x (5,))", "out = f(A['v'])"),),
        ),
        Exercise(
            "d_affine_d_x",
            "jacobians",
            points=3,
            contract=(
                "W: weights (m_out, m_in + 1). Returns the Jacobian of "
                "affine(x, W) with respect to x, (m_out, m_in)."
            ),
            probes=(("d_affine_d_x(W (3, 6))", "out = f(A['W'])"),),
        ),
        Exercise(
            "d_affine_d_W",
            "jacobians",
            points=4,
            contract=(
                "x: input (m_in,); W: weights (m_out, m_in + 1). Returns the "
                "Jacobian of affine(x, W) with respect to W flattened row by "
                "row, (m_out, m_out (m_in + 1))."
            ),
            probes=(
                ("d_affine_d_W(x (5,), W (3, 6))", "out = f(A['v'], A['W'])"),
            ),
        ),
        Exercise(
            "l2",
            "objective",
            points=5,
            contract=(
                "x: prediction (m,); y: target (m,). Returns the loss E = "
                "l2(x, y), a float."
            ),
            probes=(("l2(x (5,), y (5,))", "out = f(A['v'], A['y'])"),),
        ),
        Exercise(
            "d_l2_d_x",
            "objective",
            points=5,
            contract=(
                "x: prediction (m,); y: target (m,). Returns the gradient of "
                "l2(x, y) with respect to x, a row (1, m)."
            ),
            probes=(("d_l2_d_x(x (5,), y (5,))", "out = f(A['v'], A['y'])"),),
        ),
        Exercise(
            "backprop_affine_W",
            "backprop",
            probes=(
                (
                    "backprop_affine_W(row (1, 3), x (5,), W (3, 6)), "
                    "flattened",
                    "out = np.reshape(f(A['row3'], A['v'], A['W']), -1)",
                ),
            ),
        ),
        Exercise(
            "backprop_relu_x",
            "backprop",
            points=2,
            hacker=True,
            contract=(
                "Jx_E: upstream row (1, m), dE/dx_k; x: pre-activation i_k "
                "(m,). Returns the row dE/di_k, (1, m), without building a "
                "Jacobian."
            ),
            probes=(
                (
                    "backprop_relu_x(row (1, 5), x (5,))",
                    "out = f(A['row'], A['v'])",
                ),
            ),
            fallback="backprop_relu_x_naive",
        ),
        Exercise(
            "backprop_relu_array",
            "backprop",
            contract=(
                "G: upstream rows, any shape; X: pre-activations, same "
                "shape. Returns the downstream rows of relu, same shape."
            ),
        ),
        Exercise(
            "backprop_identity_x",
            "backprop",
            points=1,
            hacker=True,
            contract=(
                "Jx_E: upstream row (1, m); x: pre-activation (m,). Returns "
                "the downstream row of the identity, a new float (1, m)."
            ),
            probes=(
                (
                    "backprop_identity_x(row (1, 5), x (5,))",
                    "out = f(A['row'], A['v'])",
                ),
            ),
            fallback="backprop_identity_x_naive",
        ),
        Exercise(
            "backprop_affine_x",
            "backprop",
            points=2,
            hacker=True,
            contract=(
                "Jx_E: upstream row (1, m_out); W: weights (m_out, m_in + "
                "1). Returns dE/dx for affine(x, W), a row (1, m_in), "
                "without building a Jacobian."
            ),
            probes=(
                (
                    "backprop_affine_x(row (1, 3), W (3, 6))",
                    "out = f(A['row3'], A['W'])",
                ),
            ),
            fallback="backprop_affine_x_naive",
        ),
        Exercise(
            "backprop_nn_W",
            "backprop",
            probes=(
                (
                    "backprop_nn_W(x (5,), label (2,), 5-3-2 tanh-half "
                    "network)",
                    "out = f(A['v'], A['y2'], [A['W'], A['W2']], "
                    "[tanh_, half_], [back_tanh_, back_half_])",
                ),
            ),
        ),
        Exercise(
            "train",
            "sgd",
            points=5,
            contract=(
                "data_train: {'images': (N, 28, 28), 'labels': (N,) or "
                "(N, 10)}; architecture: {'W_list', 'h_list', "
                "'back_h_list'}; learning_rate: float; seed: None (stored "
                "order) or int/Generator (shuffled); progress: show a bar. "
                "One epoch of per-sample SGD that updates "
                "architecture['W_list'] in place. Returns each sample's loss "
                "before its step, (N,)."
            ),
            probes=(
                (
                    "train(6 samples, one z / 2 layer, 0.05): W_list, losses",
                    TRAIN,
                ),
            ),
        ),
        Exercise(
            "output_to_label_regression",
            "regression",
            points=5,
            contract=(
                "x: a regression output, a number or shape (1,). Returns its "
                "label, an int in 0..9."
            ),
            probes=(
                (
                    "output_to_label_regression of 10 outputs",
                    LABELS.format("A['reg']"),
                ),
            ),
        ),
        Exercise(
            "prediction_to_label_classification",
            "classification",
            points=10,
            contract=(
                "x: class scores (10,) or a one-hot label. Returns its "
                "label, an int in 0..9."
            ),
            probes=(
                (
                    "prediction_to_label_classification of 6 score vectors",
                    LABELS.format("A['scores']"),
                ),
            ),
        ),
        # beyond the homework: optional points
        Exercise(
            "conv2d",
            "convolution",
            points=6,
            hacker=True,
            contract=(
                "U: image (C_in, n_h, n_w); K: kernel (C_out, C_in, k, k); "
                "b: biases (C_out,); padding, stride: ints. Returns the "
                "layer's output V, a float (C_out, n_h', n_w'), n' = (n + 2 "
                "padding - k) // stride + 1."
            ),
            probes=(
                (
                    "conv2d(U (2, 6, 5), K (3, 2, 3, 3), b (3,))",
                    "out = f(A['cU'], A['cK'], A['cb'])",
                ),
                (
                    "conv2d(U (2, 6, 5), K (3, 2, 3, 3), b (3,), 1, 2)",
                    "out = f(A['cU'], A['cK'], A['cb'], 1, 2)",
                ),
            ),
        ),
        Exercise(
            "backprop_conv2d_U",
            "convolution",
            points=5,
            hacker=True,
            contract=(
                "G: dE/dV (C_out, n_h', n_w'); K: kernel (C_out, C_in, k, "
                "k); input_shape: (C_in, n_h, n_w); padding, stride: those "
                "of the forward pass. Returns dE/dU, a float array of "
                "input_shape."
            ),
            probes=(
                (
                    "backprop_conv2d_U(G (3, 3, 3), K, (2, 6, 5), 1, 2)",
                    "out = f(A['cG'], A['cK'], (2, 6, 5), 1, 2)",
                ),
                (
                    "backprop_conv2d_U(G (3, 4, 3), K, (2, 6, 5))",
                    "out = f(A['cG1'], A['cK'], (2, 6, 5))",
                ),
            ),
        ),
        Exercise(
            "backprop_conv2d_K",
            "convolution",
            points=5,
            hacker=True,
            contract=(
                "G: dE/dV (C_out, n_h', n_w'); U: the input (C_in, n_h, "
                "n_w); K: kernel (C_out, C_in, k, k); padding, stride: those "
                "of the forward pass. Returns dE/dK, a float array of K's "
                "shape."
            ),
            probes=(
                (
                    "backprop_conv2d_K(G (3, 3, 3), U (2, 6, 5), K, 1, 2)",
                    "out = f(A['cG'], A['cU'], A['cK'], 1, 2)",
                ),
                (
                    "backprop_conv2d_K(G (3, 4, 3), U (2, 6, 5), K)",
                    "out = f(A['cG1'], A['cU'], A['cK'])",
                ),
            ),
        ),
        Exercise(
            "max_pool",
            "convolution",
            points=2,
            hacker=True,
            contract=(
                "U: image (C, n_h, n_w); size: an int that divides n_h and "
                "n_w. Returns the maximum of each size x size block, a float "
                "(C, n_h / size, n_w / size)."
            ),
            probes=(("max_pool(U (2, 4, 6), 2)", "out = f(A['pU'], 2)"),),
        ),
        Exercise(
            "backprop_max_pool",
            "convolution",
            points=2,
            hacker=True,
            contract=(
                "G: dE/d(output) (C, n_h / size, n_w / size); U: the input "
                "(C, n_h, n_w); size: the block side. Returns dE/dU, a float "
                "array of U's shape."
            ),
            probes=(
                (
                    "backprop_max_pool(G (2, 2, 3), U (2, 4, 6), 2)",
                    "out = f(A['pG'], A['pU'], 2)",
                ),
            ),
        ),
    )
}

#: The functions the student writes. The student build and notebooks stub
#: them, and the grader grades the notebook's definitions of them.
STUBBED = {name: e for name, e in EXERCISES.items() if e.contract}
#: The exercises the grader checks, each with probes.
GRADED = {name: e for name, e in EXERCISES.items() if e.probes}


def stub(name, parameters, body):
    """Source of the stub of ``name``: its parameters (source text), its
    contract as docstring, then the ``body`` lines."""
    header = f"def {name}({parameters}):"
    if len(header) > 79:
        header = f"def {name}(\n    {parameters},\n):"
    doc = textwrap.fill(
        STUBBED[name].contract,
        72,
        initial_indent="    ",
        subsequent_indent="    ",
    )
    lines = "".join(f"    {line}\n" for line in body)
    return f'{header}\n    """{doc.strip()}\n    """\n{lines}'
