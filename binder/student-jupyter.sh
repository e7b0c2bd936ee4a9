#!/usr/bin/env bash
# Configure Jupyter for students, in the user's Jupyter config directory
# ($JUPYTER_CONFIG_DIR, default ~/.jupyter):
# - of nbgrader's extensions only "Validate" stays (no formgrader, no course or assignment
#   lists, no "create assignment" toolbar): students never see instructor tools;
# - MyST markdown chapters (.md) open as notebooks (jupytext), not as text.
set -euo pipefail
plugins=()
for plugin in formgrader create-assignment course-list assignment-list; do
  plugins+=("@jupyter/nbgrader:${plugin}")
done
jupyter labextension disable --level=user "${plugins[@]}"
# Locked, so that students cannot switch them back on in the extension manager.
jupyter labextension lock --level=user "${plugins[@]}"
# `jupyter server extension disable --user` refuses nbgrader's modules ("could not be
# found"), so the user-level server config is written directly.
python - <<'PY'
import json, pathlib
from jupyter_core.paths import jupyter_config_dir
path = pathlib.Path(jupyter_config_dir()) / "jupyter_server_config.json"
config = json.loads(path.read_text()) if path.exists() else {}
extensions = config.setdefault("ServerApp", {}).setdefault("jpserver_extensions", {})
for name in ("formgrader", "course_list", "assignment_list"):
    extensions[f"nbgrader.server_extensions.{name}"] = False
path.parent.mkdir(parents=True, exist_ok=True)
path.write_text(json.dumps(config, indent=2) + "\n")
PY
jupytext-config set-default-viewer markdown myst
