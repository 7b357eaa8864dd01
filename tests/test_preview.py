"""``make preview`` (publish/preview.py): its cache key and its config."""

from pathlib import Path

import yaml

from publish import preview


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


def test_preview_config_changes_only_the_execution_mode(tmp_path, root):
    path = preview.preview_config(root, tmp_path)
    original = yaml.safe_load((root / "_config.yml").read_text())
    copy = yaml.safe_load(path.read_text())
    assert copy["execute"].pop("execute_notebooks") == "cache"
    assert original["execute"].pop("execute_notebooks") == "force"
    for name, folder in copy["sphinx"].pop("local_extensions").items():
        assert (
            Path(folder) == root / original["sphinx"]["local_extensions"][name]
        )
    original["sphinx"].pop("local_extensions")
    assert copy == original
