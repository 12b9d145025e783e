"""Build `plots/offline.html`: DVC's plot page with Vega inlined, so `dvc plots show` works offline.

DVC's default page loads vega, vega-lite and vega-embed from a CDN. This template carries the
same versions DVC pins (dvc_render), taken from their npm packages:

    npm pack vega@5.20.2 vega-lite@5.2.0 vega-embed@6.18.2   # in a scratch folder, then unpack
    python plots/make_offline_template.py SCRATCH_FOLDER

The template has no `{scripts}` placeholder, so DVC adds no CDN tags to the page.
"""

from __future__ import annotations

import sys
from pathlib import Path

BUNDLES = [
    "vega-5.20.2/package/build/vega.min.js",
    "vega-lite-5.2.0/package/build/vega-lite.min.js",
    "vega-embed-6.18.2/package/build/vega-embed.min.js",
]

PAGE = """<!DOCTYPE html>
<html>
<head>
    {refresh_tag}
    <title>unit-pipeline plots</title>
    <!-- vega 5.20.2, vega-lite 5.2.0, vega-embed 6.18.2: BSD-3-Clause, see plots/NOTICE.md -->
{inline_scripts}
    <style>table { border-spacing: 15px; }</style>
</head>
<body>
    {plot_divs}
</body>
</html>
"""


def main(scratch: str) -> None:
    scripts = "\n".join(f"<script>{(Path(scratch) / b).read_text()}</script>" for b in BUNDLES)
    head, tail = PAGE.split("{inline_scripts}")
    page = head + scripts + tail  # concatenation: the minified JS is never touched
    (Path(__file__).parent / "offline.html").write_text(page)


if __name__ == "__main__":
    main(sys.argv[1])
