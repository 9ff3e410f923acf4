"""Static files under content-hashed names in production, so that a deploy never mixes old and new ES modules."""

from __future__ import annotations

import logging

from whitenoise.storage import CompressedManifestStaticFilesStorage

logger = logging.getLogger(__name__)


# A dynamic import of one of our modules: `import("./x.js")`, not `pyodide.pyimport("mug.loop")` (Django's pattern
# takes any `import("...")`, even inside a longer name).
DYNAMIC_IMPORT = (r"""(?P<matched>(?<![\w$.])import\(["'](?P<url>[./].*?)["']\))""", """import("%(url)s")""")


def _own_modules_only(glob, rules):
    """Rewrite references inside our own JavaScript only: vendored bundles (Pyodide, Phaser, onnxruntime-web) are
    hashed too but left as they are (they load their own files by fixed names, which stay served as well)."""
    return (f"frontend/{glob}" if glob == "*.js" else glob, rules)


class HashedStaticStorage(CompressedManifestStaticFilesStorage):
    """`collectstatic` writes each file also under a name with its content hash and rewrites the page and worker
    modules' static and dynamic imports (`import ... from "./x.js"`, `import("./x.js")`) to those names; templates'
    `{% static %}` gives the hashed names from the manifest.

    Without a manifest (collectstatic has not run into STATIC_ROOT: tests, a quick local run with DEBUG off) the
    source names are served, as before, and a warning says so once.
    """

    support_js_module_import_aggregation = True

    def __init__(self, *args, **kwargs):
        self.patterns = tuple(_own_modules_only(glob, rules) for glob, rules in self.patterns)
        glob, (*module_rules, _dynamic) = self._js_module_import_aggregation_patterns
        self._js_module_import_aggregation_patterns = _own_modules_only(glob, (*module_rules, DYNAMIC_IMPORT))
        super().__init__(*args, **kwargs)
        self._warned = False

    def stored_name(self, name):
        if self.hashed_files:
            return super().stored_name(name)
        if not self._warned:
            self._warned = True
            logger.warning("No static files manifest in STATIC_ROOT: serving unhashed names (run collectstatic).")
        return name
