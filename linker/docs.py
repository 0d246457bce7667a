"""Reference sections of the README, generated from the code that defines them.

The input contract comes from :mod:`linker.contract`, the config reference from the pydantic models of
:mod:`linker.config`, the graph schema from ``graph_schema/schema.toml``, the demo profiles from
:mod:`linker.demo.profiles`. ``scripts/update_readme.py`` rewrites
the README between ``<!-- BEGIN GENERATED: name -->`` and ``<!-- END GENERATED: name -->``; a test fails when
the README is stale.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, get_args, get_origin

from pydantic import BaseModel

from linker.config import Config
from linker.contract import TABLES
from linker.schema import load_schema


def contract_markdown() -> str:
    """One table per input table: role, type, required, meaning."""
    parts = []
    for t in TABLES.values():
        flags = []
        if t.key:
            flags.append(f"key `{t.key}` (unique)")
        if t.references:
            flags += [f"`{role}` must exist in `{ref}`" for role, ref in t.references]
        if t.one_of:
            flags.append("needs at least one of " + " / ".join(f"`{r}`" for r in t.one_of))
        if t.keeps_attributes:
            flags.append("other columns are kept as properties")
        parts.append(f"**{t.name}** — {t.description} {'Required.' if not t.optional else 'Optional.'} "
                     f"{'; '.join(flags)}.\n")
        parts.append("| role | type | required | notes |\n|---|---|---|---|")
        for f in t.fields:
            parts.append(f"| `{f.role}` | {f.type.value} | {'yes' if f.required else ''} | {f.description} |")
        parts.append("")
    return "\n".join(parts).rstrip() + "\n"


def config_markdown() -> str:
    """Every setting of linker.toml with its type, default and description."""
    rows = ["| setting | type | default | description |", "|---|---|---|---|"]
    _model_rows(Config, "", rows)
    return "\n".join(rows) + "\n"


def _model_rows(model: type[BaseModel], prefix: str, rows: list[str]) -> None:
    for name, field in model.model_fields.items():
        annotation = field.annotation
        key = f"{prefix}{name}"
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            _model_rows(annotation, f"{key}.", rows)
            continue
        if name == "sources":
            from linker.config import SourceConfig

            _model_rows(SourceConfig, "sources.<table>.", rows)
            continue
        nested = _nested_model(annotation)
        if nested is not None:  # a table of models keyed by name ({}), or an array of tables ([])
            rows.append(f"| `{key}` | {_type_name(annotation)} | | {field.description or ''} |")
            _model_rows(nested[1], f"{key}{nested[0]}", rows)
            continue
        default = field.get_default(call_default_factory=True)
        rows.append(f"| `{key}` | {_type_name(annotation)} | {_default(default)} | {field.description or ''} |")


def _nested_model(annotation: Any) -> tuple[str, type[BaseModel]] | None:
    """For ``dict[str, Model]`` or ``list[Model]``: the key suffix of an entry and the model."""
    args = get_args(annotation)
    if get_origin(annotation) is dict and len(args) == 2 and _is_model(args[1]):
        return ".<name>.", args[1]
    if get_origin(annotation) is list and len(args) == 1 and _is_model(args[0]):
        return "[].", args[0]
    return None


def _is_model(value: Any) -> bool:
    return isinstance(value, type) and issubclass(value, BaseModel)


def _type_name(annotation: Any) -> str:
    annotation_name = getattr(annotation, "__name__", None)
    nested = _nested_model(annotation)
    if nested is not None:
        return "table of tables by name" if nested[0] == ".<name>." else "array of tables"
    if annotation_name and _is_model(annotation):
        return annotation_name
    text = str(annotation).replace("typing.", "").replace("pathlib.", "").replace("datetime.", "")
    text = re.sub(r"<class '([^']+)'>", r"\1", text)
    return text.replace("|", "or")


def _default(value: Any) -> str:
    from pydantic_core import PydanticUndefined

    if value is PydanticUndefined:
        return "required"
    if value is None:
        return ""
    return f"`{value}`".replace("|", "\\|")


def schema_markdown() -> str:
    """Node labels and relationship types with keys and properties."""
    schema = load_schema()
    rows = ["| node label | key | properties | indexes |", "|---|---|---|---|"]
    for n in schema.nodes.values():
        props = ", ".join(f"`{p}` {t}" for p, t in n.properties.items())
        rows.append(f"| `{n.label}` | `{n.key}` | {props} | {', '.join(n.indexes)} |")
    rows += ["", "| relationship | from → to | properties |", "|---|---|---|"]
    for r in schema.relationships.values():
        props = ", ".join(f"`{p}` {t}" for p, t in r.properties.items())
        rows.append(f"| `{r.name}` | {' / '.join(r.from_labels)} → {' / '.join(r.to_labels)} | {props} |")
    return "\n".join(rows) + "\n"


def enrichment_markdown() -> str:
    """The enriched profile export schema (versioned), from :mod:`linker.enrich.profiles`."""
    from linker.enrich.profiles import readme_markdown

    return readme_markdown()


def demo_profiles_markdown() -> str:
    """The demo generator's profiles, from :mod:`linker.demo.profiles`."""
    from linker.demo.profiles import profiles_markdown

    return profiles_markdown()


SECTIONS: dict[str, Callable[[], str]] = {
    "contract": contract_markdown,
    "config": config_markdown,
    "schema": schema_markdown,
    "enrichment": enrichment_markdown,
    "demo-profiles": demo_profiles_markdown,
}


def render_readme(text: str, sections: dict[str, Callable[[], str]] | None = None) -> str:
    """``text`` with every generated section replaced by its current content."""
    for name, make in (sections or SECTIONS).items():
        pattern = re.compile(rf"(<!-- BEGIN GENERATED: {name} -->\n).*?(<!-- END GENERATED: {name} -->)", re.DOTALL)
        text = pattern.sub(lambda m: m.group(1) + make() + m.group(2), text)
    return text
