from pathlib import Path

from linker.docs import SECTIONS, render_readme

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_reference_sections_are_up_to_date() -> None:
    text = README.read_text(encoding="utf-8")
    assert render_readme(text) == text, "README is stale: run `python scripts/update_readme.py`"


def test_every_generated_section_has_markers() -> None:
    text = README.read_text(encoding="utf-8")
    for name in SECTIONS:
        assert f"<!-- BEGIN GENERATED: {name} -->" in text and f"<!-- END GENERATED: {name} -->" in text


def test_render_replaces_only_between_markers() -> None:
    text = "a\n<!-- BEGIN GENERATED: x -->\nold\n<!-- END GENERATED: x -->\nb"
    assert render_readme(text, {"x": lambda: "new\n"}) == \
        "a\n<!-- BEGIN GENERATED: x -->\nnew\n<!-- END GENERATED: x -->\nb"
