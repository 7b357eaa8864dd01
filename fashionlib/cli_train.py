"""``python -m fashionlib train``: train a multilayer perceptron with the mini-batch engine.

Trains on the 50,000 training images, keeps the weights of the epoch with the
best validation accuracy, and ends with one line giving the test accuracy of
those weights.  ``--output model.npz`` stores the weights (and ``model.json``,
the configuration and the history per epoch).
"""

import argparse

from fashionlib import data
from fashionlib.batch import (
    OPTIMISERS,
    TrainingConfig,
    batch_accuracy,
    design_matrix,
    fit,
    save_model,
)


def positive(kind):
    """An argparse type: ``kind`` (int or float) that must be > 0."""

    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number")
        if not value > 0:
            raise argparse.ArgumentTypeError(f"{text} must be positive")
        return value

    return parse


def fraction(text):
    """An argparse type: a float in [0, 1)."""
    value = float(text)
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"{text} must lie in [0, 1)")
    return value


def add_train_command(commands):
    """Add the ``train`` sub-command to the sub-parsers ``commands``."""
    train = commands.add_parser(
        "train",
        help="train a multilayer perceptron with mini-batches",
        description=__doc__,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    train.add_argument(
        "--layers",
        type=positive(int),
        nargs="+",
        default=[784, 512, 512, 10],
        help="layer widths, from the 784 pixels to the 10 classes",
    )
    train.add_argument(
        "--optimiser",
        choices=sorted(OPTIMISERS),
        default="adam",
        help="sgd, sgd with momentum 0.9, or adam",
    )
    train.add_argument(
        "--learning-rate",
        "--lr",
        type=positive(float),
        default=1e-3,
        help="learning rate",
    )
    train.add_argument(
        "--schedule",
        choices=["constant", "cosine"],
        default="cosine",
        help="learning rate schedule",
    )
    train.add_argument(
        "--num-epochs",
        "--epochs",
        type=positive(int),
        default=40,
        help="passes over the training set",
    )
    train.add_argument(
        "--batch-size",
        type=positive(int),
        default=128,
        help="samples per step",
    )
    train.add_argument(
        "--dtype",
        choices=["float32", "float64"],
        default="float32",
        help="float type",
    )
    train.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seed of the weights, the shuffling and dropout",
    )
    train.add_argument(
        "--dropout",
        type=fraction,
        default=0.2,
        help="dropout on the hidden layers",
    )
    train.add_argument(
        "--label-smoothing", type=fraction, default=0.0, help="label smoothing"
    )
    train.add_argument(
        "--weight-decay",
        type=float,
        default=0.0,
        help="l2 penalty on the weights",
    )
    train.add_argument(
        "--patience",
        type=positive(int),
        help="stop after this many epochs without progress",
    )
    train.add_argument(
        "--max-train",
        type=positive(int),
        help="use only the first N training images",
    )
    train.add_argument(
        "--data-dir",
        help="data cache folder (default as for the data command)",
    )
    train.add_argument(
        "--output",
        help="write the weights here (.npz) and the history beside it (.json)",
    )
    train.add_argument(
        "--no-progress", action="store_true", help="no progress bar"
    )
    train.set_defaults(run=run_train, parser=train)


def config_from(args):
    """The :class:`~fashionlib.batch.TrainingConfig` of parsed ``args``; a bad combination ends in ``parser.error`` (exit 2)."""
    if args.layers[0] != 784 or args.layers[-1] != 10 or len(args.layers) < 2:
        args.parser.error(
            f"--layers {' '.join(map(str, args.layers))}: the first width must be 784 "
            "(the pixels) and the last 10 (the classes), e.g. --layers 784 512 512 10"
        )
    if args.weight_decay < 0:
        args.parser.error(
            f"--weight-decay {args.weight_decay} must not be negative"
        )
    return TrainingConfig(
        network_shape=args.layers,
        optimiser=args.optimiser,
        learning_rate=args.learning_rate,
        schedule=args.schedule,
        num_epochs=args.num_epochs,
        batch_size=args.batch_size,
        label_smoothing=args.label_smoothing,
        weight_decay=args.weight_decay,
        dropout=args.dropout,
        patience=args.patience,
        seed=args.seed,
        dtype=args.dtype,
    )


def run_train(args):
    """Train, report each epoch, store the model if asked; print the test accuracy last."""
    config = config_from(args)
    splits = {split: data.load(split, args.data_dir) for split in data.SPLITS}
    mean, std = data.whitening_stats(splits["train"]["images"])
    train, validation, test = (
        design_matrix(splits[s], mean, std, config.dtype) for s in data.SPLITS
    )
    if args.max_train:
        train = (train[0][: args.max_train], train[1][: args.max_train])
    result = fit(
        train, config, validation, progress=not args.no_progress, log=print
    )
    print(f"best validation accuracy in epoch {result.best_epoch}")
    if args.output:
        save_model(args.output, result)
        print(f"wrote {args.output}")
    print(
        f"test accuracy: {batch_accuracy(*test, result.W_list, config.activations):.2f} %"
    )
    return 0
