"""Regenerate the reference sections of README.md from the code (contract, config, graph schema)."""

from pathlib import Path

from linker.docs import render_readme

README = Path(__file__).resolve().parent.parent / "README.md"

if __name__ == "__main__":
    text = README.read_text(encoding="utf-8")
    new = render_readme(text)
    README.write_text(new, encoding="utf-8")
    print("README.md updated" if new != text else "README.md already up to date")
