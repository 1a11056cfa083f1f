"""Small Sphinx fixes for the offline book.

sphinx-thebe 0.3.1 registers its inline configuration script twice on Sphinx 7.4, so every page declared
``const THEBE_JS_URL`` twice (a JavaScript SyntaxError in the console). Drop repeated scripts per page.
"""


def _dedup_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for js in scripts:
        # the same file (or inline body: filename None or "") and attributes
        key = (
            str(getattr(js, "filename", js) or ""),
            tuple(sorted((k, str(v)) for k, v in getattr(js, "attributes", {}).items())),
        )
        if key not in seen:
            seen.add(key)
            unique.append(js)
    context["script_files"] = unique


def setup(app):
    app.connect("html-page-context", _dedup_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
