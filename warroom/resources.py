"""Files that ship inside the package (and are found in the source tree when editable)."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def styles_path(name: str = "warroom.tcss") -> Path:
    """The stylesheet: `warroom/styles/` in a wheel, the top-level `styles/` in a checkout."""
    for folder in (_PACKAGE / "styles", _PACKAGE.parent / "styles"):
        candidate = folder / name
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"stylesheet {name} is missing from the installation")
