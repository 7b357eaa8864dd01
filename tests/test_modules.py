"""Each core module names the chapter that defines it, as the notation
page's table of modules reads it."""

import importlib
import re

import pytest

from fashionlib.teaching.library import core_modules

#: Modules that serve every chapter (verify cells, figures, the command
#: line) rather than defining one chapter's ideas.
SHARED = {"checks", "plots", "cli_train"}


@pytest.mark.parametrize(
    "module", sorted(set(core_modules()) - SHARED), ids=str
)
def test_a_core_module_names_its_chapters(module, root):
    doc = " ".join(
        importlib.import_module(f"fashionlib.{module}").__doc__.split()
    )
    named = re.findall(r'"([^"]+)" \(book/(\w+)\.md\)', doc)
    assert named and "Defined for the chapter" in doc, module
    for title, stem in named:
        heading = (root / "book" / f"{stem}.md").read_text()
        assert f"\n# {title}\n" in heading, (module, title, stem)
