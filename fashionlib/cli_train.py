"""``python -m fashionlib train``: train a multilayer perceptron with the
mini-batch engine.

Trains on the 50,000 training images, keeps the weights of the epoch with
the best validation accuracy, and ends with one line giving the test
accuracy of those weights.  ``--output NAME`` stores the weights in
``NAME.npz`` and the configuration and history per epoch in ``NAME.json``;
Ctrl-C, or a signal such as SIGTERM or SIGHUP, stores the best weights
so far.
"""

import argparse
import math
import sys
from dataclasses import fields

from fashionlib import data
from fashionlib._files import check_writable
from fashionlib._signals import exit_status, interrupted_by
from fashionlib.batch import (
    CHOICES,
    RANGES,
    TrainingConfig,
    design_matrix,
    fit,
    model_paths,
    network_accuracy,
    save_model,
)
from fashionlib.cnn import TOKEN_SYNTAX


def number(kind, rule, test):
    """An argparse type: a finite ``kind`` (int or float) passing ``test``.

    ``rule`` completes "must be ..." in the message, e.g. ``"positive"``.
    """

    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not a number"
            ) from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"{text} is not a finite number")
        if not test(value):
            raise argparse.ArgumentTypeError(f"{text} must be {rule}")
        return value

    return parse


#: The argparse types of the options that are no TrainingConfig field
#: (train's widths and --max-train, grade's numbers).
POSITIVE_INT = number(int, "positive", lambda v: v > 0)
POSITIVE = number(float, "positive", lambda v: v > 0)


#: TrainingConfig fields the command sets, each with its option's help;
#: the command trains a classifier (cross-entropy) with the default
#: activations, so ``activations`` and ``loss`` have no option.
HELP = {
    "network_shape": "layer widths, from the 784 pixels to the 10 classes",
    "layers": (
        "a convolutional network as layer tokens, in place of --layers "
        f"and --dropout: {TOKEN_SYNTAX}; e.g. --cnn conv32x3 relu pool2 "
        "dense10"
    ),
    "optimiser": "sgd, sgd with momentum 0.9, or adam",
    "learning_rate": "learning rate",
    "schedule": "learning rate schedule",
    "num_epochs": "passes over the training set",
    "batch_size": "samples per step",
    "dtype": "float type",
    "seed": "seed of the weights, the shuffling and dropout",
    "dropout": "dropout on the hidden layers",
    "label_smoothing": "label smoothing",
    "weight_decay": "l2 penalty on the weights",
    "patience": "stop after this many epochs without progress",
}
#: Options named otherwise than their field (``--lr`` is short for
#: ``--learning-rate``).
OPTIONS = {
    "network_shape": ["--layers"],
    "layers": ["--cnn"],
    "learning_rate": ["--learning-rate", "--lr"],
}


def config_option(name, default):
    """The add_argument keywords of TrainingConfig field ``name``: its
    type, choices and range from :data:`~fashionlib.batch.CHOICES` and
    :data:`~fashionlib.batch.RANGES`, its default from TrainingConfig."""
    options = {"dest": name, "default": default, "help": HELP[name]}
    kind = {f.name: f.type for f in fields(TrainingConfig)}[name]
    if name in CHOICES:
        options["choices"] = CHOICES[name]
    elif name == "network_shape":
        options.update(type=POSITIVE_INT, nargs="+", metavar="LAYERS")
    elif name == "layers":
        options.update(nargs="+", metavar="LAYER")
    else:
        valid, description = RANGES[name]
        options["type"] = number(kind, description, valid)
    return options


def add_train_command(commands):
    """Add the ``train`` sub-command to the sub-parsers ``commands``: an
    option per field of :class:`~fashionlib.batch.TrainingConfig` in
    :data:`HELP`, then the run's own options."""
    train = commands.add_parser(
        "train",
        help="train a multilayer perceptron with mini-batches",
        description=__doc__,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    defaults = TrainingConfig()
    for name in HELP:
        flags = OPTIONS.get(name, ["--" + name.replace("_", "-")])
        default = None if name == "layers" else getattr(defaults, name)
        train.add_argument(*flags, **config_option(name, default))
    train.add_argument(
        "--max-train",
        type=POSITIVE_INT,
        help="use only the first N training images",
    )
    train.add_argument(
        "--data-dir",
        help="data cache folder (default as for the data command)",
    )
    train.add_argument(
        "--output",
        metavar="NAME",
        help="write the weights to NAME.npz and the history to NAME.json",
    )
    train.add_argument(
        "--no-progress", action="store_true", help="no progress bar"
    )
    train.set_defaults(run=run_train, parser=train)


def config_from(args):
    """The :class:`~fashionlib.batch.TrainingConfig` of parsed ``args``;
    a bad combination ends in ``parser.error`` (exit 2)."""
    shape = args.network_shape
    if shape[0] != 784 or shape[-1] != 10 or len(shape) < 2:
        args.parser.error(
            f"--layers {' '.join(map(str, shape))}: the first width "
            "must be 784 (the pixels) and the last 10 (the classes), e.g. "
            "--layers 784 512 512 10"
        )
    try:
        return TrainingConfig(**{name: getattr(args, name) for name in HELP})
    except ValueError as error:
        args.parser.error(str(error))


def output_paths(args):
    """``(stem.npz, stem.json)`` of ``--output``, checked to be writable now
    (before any training); None without ``--output``."""
    if not args.output:
        return None
    try:
        paths = model_paths(args.output)
    except ValueError as error:
        args.parser.error(f"--output: {error}")
    check_writable(*paths)
    return paths


def save(paths, result):
    """Store ``result`` at ``paths`` and say where."""
    save_model(paths[0], result)
    print(f"wrote {paths[0]} and {paths[1]}")


def run_train(args):
    """Train, report each epoch, store the model if asked; print the test
    accuracy last.

    Ctrl-C or another ending signal stops training: the best weights so
    far are saved if ``--output`` was given, and the exit status is 128 +
    the signal's number (130 for Ctrl-C).
    """
    config = config_from(args)
    paths = output_paths(args)
    splits = {split: data.load(split, args.data_dir) for split in data.SPLITS}
    mean, std = data.whitening_stats(splits["train"]["images"])
    train, validation, test = (
        design_matrix(splits[s], mean, std, config.dtype) for s in data.SPLITS
    )
    if args.max_train:
        train = (train[0][: args.max_train], train[1][: args.max_train])
    best = []
    try:
        result = fit(
            train,
            config,
            validation,
            progress=not args.no_progress,
            log=print,
            on_epoch=best.append,
        )
    except KeyboardInterrupt as interrupt:
        return interrupted(paths, best[-1] if best else None, interrupt)
    print(f"best validation accuracy in epoch {result.best_epoch}")
    if paths:
        save(paths, result)
    accuracy = network_accuracy(*test, result.W_list, config)
    print(f"test accuracy: {accuracy:.2f} %")
    return 0


def interrupted(paths, best, interrupt):
    """After Ctrl-C or another ending signal (``interrupt``): save ``best``
    (a FitResult or None) to ``paths`` if an epoch finished and
    ``--output`` was given; say so; return 128 + the signal's number."""
    if not paths:
        message = "nothing saved (no --output given)"
    elif best is None or best.best_epoch == 0:
        message = "nothing saved (the first epoch had not ended)"
    else:
        message = f"saving the best weights so far (epoch {best.best_epoch})"
    print(f"{interrupted_by(interrupt)}: {message}", file=sys.stderr)
    if paths and best is not None and best.best_epoch > 0:
        save(paths, best)
    return exit_status(interrupt)
