"""Sphinx settings of the documentation site (`make docs` builds it, `make test` checks it).

The pages are Markdown, read by MyST. The build is strict: `make docs` and
tests/unit/test_docs_site.py run sphinx-build with `-W`, so a broken link to a page or a heading,
a missing include or a bad reference fails it.
"""

project = "Cocoon Portal"
author = "Cocoon Portal's developers"
extensions = ["myst_parser"]
source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build"]
# Headings h1 to h3 get GitHub's anchors, so `page.md#a-heading` works on the site and on GitHub.
myst_heading_anchors = 3
# Links to a page or a heading that do not exist are warnings, which -W makes errors.
myst_all_links_external = False
nitpicky = True
html_theme = "furo"
html_title = "Cocoon Portal"
html_static_path: list[str] = []
# No search index: the site is read locally, and the pages are few.
html_copy_source = False
