"""The stored models' commands, as the chapters print them, run the
configurations stored with the models."""

import json
import re
import shlex
from dataclasses import asdict

from fashionlib.__main__ import build_parser
from fashionlib.batch import TrainingConfig
from fashionlib.cli_train import config_from


def command_config(command):
    """The TrainingConfig that the train command line ``command`` runs."""
    words = shlex.split(command.replace("\\\n", " "))
    assert words[:4] == ["python", "-m", "fashionlib", "train"], words
    return asdict(config_from(build_parser().parse_args(words[3:])))


def test_the_stored_models_commands_reproduce_their_configs(root):
    mlp = re.search(
        r"```bash\n(python -m fashionlib train .*?)```",
        (root / "book" / "beyond.md").read_text(),
        re.S,
    ).group(1)
    cnn = json.loads(
        (root / "models" / "cnn-32-32-64-256-10.json").read_text()
    )
    tokens = " ".join(cnn["config"]["layers"])
    cnn_command = (  # the options the chapter's command names
        f"python -m fashionlib train --cnn {tokens} --schedule cosine "
        "--num-epochs 20 --label-smoothing 0.1"
    )
    for command, name in (
        (mlp, "mlp-784-512-512-10"),
        (cnn_command, "cnn-32-32-64-256-10"),
    ):
        stored = json.loads((root / "models" / f"{name}.json").read_text())
        wanted = asdict(TrainingConfig(**stored["config"]))
        assert command_config(command) == wanted, name
