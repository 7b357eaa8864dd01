"""The Binder and Colab buttons open a chapter on the notebooks branch.

Sphinx extension (``local_extensions`` in _config.yml): on every page whose
source is a chapter notebook, the theme's Binder and Colab links are
rewritten to open ``CHAPTER.ipynb`` on the branch that
:mod:`publish.branch` writes (README, "Launch"); on other pages they are
removed, and with ``launch_notebooks_branch: ""`` they are not shown at all.
"""

import re
from pathlib import Path

from publish.branch import BRANCH_OPTION
from publish.sources import is_notebook


def github_parts(url):
    """``(org, repo)`` of a GitHub repository URL."""
    found = re.fullmatch(r"https://github\.com/([^/]+)/([^/]+?)/?", url)
    if found is None:
        raise ValueError(f"repository.url {url!r} is not a GitHub repository")
    return found.groups()


def launch_urls(app, docname):
    """``{"Binder": url, "Colab": url}`` of ``docname``'s notebook."""
    options = app.config.html_theme_options
    launch = options.get("launch_buttons", {})
    org, repo = github_parts(options["repository_url"])
    branch = getattr(app.config, BRANCH_OPTION)
    path = f"{docname}.ipynb"
    ui = {"classic": "tree", "jupyterlab": "lab/tree"}[
        launch.get("notebook_interface", "classic")
    ]
    binder = launch.get("binderhub_url", "").rstrip("/")
    colab = launch.get("colab_url", "").rstrip("/")
    return {
        "Binder": f"{binder}/v2/gh/{org}/{repo}/{branch}?urlpath={ui}/{path}",
        "Colab": f"{colab}/github/{org}/{repo}/blob/{branch}/{path}",
    }


def point_launch_buttons(app, pagename, templatename, context, doctree):
    """Rewrite (or drop) the theme's Binder and Colab links of the page."""
    groups = [
        b
        for b in context.get("header_buttons", [])
        if b.get("label") == "launch-buttons"
    ]
    if not groups:
        return
    source = Path(app.env.doc2path(pagename))
    shown = (
        getattr(app.config, BRANCH_OPTION)
        and source.suffix == ".md"
        and is_notebook(source)
    )
    urls = launch_urls(app, pagename) if shown else {}
    for group in groups:
        kept = []
        for button in group["buttons"]:
            if button.get("text") in ("Binder", "Colab"):
                if button["text"] not in urls:
                    continue
                button["url"] = urls[button["text"]]
            kept.append(button)
        group["buttons"] = kept
        if not kept:
            context["header_buttons"].remove(group)


def setup(app):
    """Register the configuration value and the page hook."""
    app.add_config_value(BRANCH_OPTION, "notebooks", "html")
    # after sphinx-book-theme's add_launch_buttons (priority 501)
    app.connect("html-page-context", point_launch_buttons, priority=600)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
