"""What the README's commands set up: the system packages the tests need
(Chromium, Node.js, npm, bubblewrap) and the preview's cache key
(tools/preview.py).

The Makefile's ``system-packages`` target is run with a Chromium path that does
not exist, so the install logic runs without uninstalling anything: printed
(``DRY=echo``) or against a fake ``apt-get`` that records its calls.
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MISSING = "/nonexistent/chromium"
sys.path.insert(0, str(ROOT / "tools"))

import preview  # noqa: E402
import yaml  # noqa: E402


def make_system_packages(*assignments):
    """The completed ``make -s system-packages`` run with ``assignments``
    (bubblewrap counts as present unless they set BWRAP)."""
    return subprocess.run(
        [
            "make",
            "-s",
            "--no-print-directory",
            "system-packages",
            "BWRAP=sh",
            *assignments,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )


def test_nothing_is_installed_when_everything_is_there(tmp_path):
    chromium = tmp_path / "chromium"
    chromium.write_text("#!/bin/sh\n")
    chromium.chmod(0o755)
    run = make_system_packages(
        f"CHROMIUM={chromium}", "NODE=sh", "NPM=sh", "DRY=echo"
    )
    assert run.returncode == 0 and run.stdout == ""


def test_a_missing_chromium_is_installed_with_sudo_unless_root():
    run = make_system_packages(f"CHROMIUM={MISSING}", "DRY=echo")
    sudo = "" if os.getuid() == 0 else "sudo "
    assert run.returncode == 0, run.stderr
    assert (
        f"{sudo}apt-get install -y --no-install-recommends "
        "chromium fonts-dejavu-core"
    ) in run.stdout


def test_missing_node_and_npm_are_installed_too():
    run = make_system_packages(
        f"CHROMIUM={MISSING}",
        "NODE=no-such-node",
        "NPM=no-such-npm",
        "DRY=echo",
        "SUDO=",
    )
    assert (
        "apt-get install -y --no-install-recommends "
        "chromium fonts-dejavu-core nodejs npm"
    ) in run.stdout


def test_a_failed_install_updates_the_lists_and_retries(tmp_path):
    calls = tmp_path / "calls"
    fake = tmp_path / "apt-get"
    fake.write_text(
        f'#!/bin/sh\necho "$*" >> {calls}\n'
        f'[ "$1" = update ] || grep -q update {calls}\n'
    )
    fake.chmod(0o755)
    run = make_system_packages(
        f"CHROMIUM={MISSING}", f"APT_GET={fake}", "SUDO="
    )
    assert calls.read_text().splitlines() == [
        "install -y --no-install-recommends chromium fonts-dejavu-core",
        "update",
        "install -y --no-install-recommends chromium fonts-dejavu-core",
    ]
    # the fake installed nothing: the target says so and fails
    assert run.returncode != 0
    assert f"Chromium is still missing at {MISSING}" in run.stdout


def test_without_apt_get_one_line_says_what_to_install():
    run = make_system_packages(
        f"CHROMIUM={MISSING}", "NPM=no-such-npm", "APT_GET=no-such-apt-get"
    )
    assert run.returncode != 0
    lines = run.stdout.strip().splitlines()
    assert len(lines) == 1
    assert "missing here: chromium fonts-dejavu-core npm" in lines[0]


def test_missing_bubblewrap_is_installed_for_the_grader():
    run = make_system_packages(
        f"CHROMIUM={MISSING}", "BWRAP=no-such-bwrap", "DRY=echo", "SUDO="
    )
    assert run.returncode == 0, run.stderr
    assert (
        "apt-get install -y --no-install-recommends "
        "chromium fonts-dejavu-core bubblewrap"
    ) in run.stdout


def test_preview_cache_is_wiped_exactly_when_the_package_changes(tmp_path):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "a.py").write_text("x = 1\n")
    out = tmp_path / "preview"
    assert preview.prepare(out, package)  # first preview: cold
    (out / "cached").write_text("kept while the package is unchanged")
    assert not preview.prepare(out, package)
    assert (out / "cached").is_file()
    (package / "a.py").write_text("x = 2\n")
    assert preview.prepare(out, package)
    assert not (out / "cached").exists()
    (package / "b.dat").write_text("")  # any file, not only Python
    assert preview.prepare(out, package)


def test_preview_config_changes_only_the_execution_mode(tmp_path):
    path = preview.preview_config(ROOT, tmp_path)
    original = yaml.safe_load((ROOT / "_config.yml").read_text())
    copy = yaml.safe_load(path.read_text())
    assert copy["execute"].pop("execute_notebooks") == "cache"
    assert original["execute"].pop("execute_notebooks") == "force"
    for name, folder in copy["sphinx"].pop("local_extensions").items():
        assert (
            Path(folder) == ROOT / original["sphinx"]["local_extensions"][name]
        )
    original["sphinx"].pop("local_extensions")
    assert copy == original
