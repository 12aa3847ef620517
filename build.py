"""Build the archive in this folder: `python build.py` is `newsgen build` run here."""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "src"))

from newsgen.cli import main  # noqa: E402

if __name__ == "__main__":
    arguments = sys.argv[1:]
    if not arguments or arguments[0].startswith("-"):
        arguments = ["build", *arguments]
    raise SystemExit(main(arguments, default_root=HERE))
