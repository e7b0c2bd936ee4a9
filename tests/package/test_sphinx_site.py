"""Site-wide fixes the browser test asked for (backproplab.sphinx_site)."""

from types import SimpleNamespace

from backproplab.sphinx_site import default_color_mode, drop_repeated_scripts


def script(filename, **attributes):
    return SimpleNamespace(filename=filename, attributes=attributes)


def test_a_script_written_twice_is_kept_once_and_others_stay_in_order():
    thebe = {"body": "const THEBE_JS_URL = 'x'"}
    scripts = [script("a.js"), script(None, **thebe), script("", **thebe), script("b.js")]
    context = {"script_files": scripts}
    drop_repeated_scripts(None, "index", "page.html", context, None)
    assert [s.filename for s in context["script_files"]] == ["a.js", None, "b.js"]
    assert len(scripts) == 4, "the builder's own list is not changed"


def test_colour_mode_defaults_to_auto_but_a_setting_wins():
    config = SimpleNamespace(html_context={})
    default_color_mode(None, config)
    assert config.html_context["default_mode"] == "auto"
    config = SimpleNamespace(html_context={"default_mode": "dark"})
    default_color_mode(None, config)
    assert config.html_context["default_mode"] == "dark"
