"""Writing a model card to a file."""

from __future__ import annotations

import json
from pathlib import Path

from .data import ModelCard
from .html import card_html, card_pdf
from .markdown import to_markdown
from .mct_json import to_mct


def write_card(
    card: ModelCard, directory: Path, fmt: str, *, paper: str = "a4", engine: str = "weasyprint"
) -> Path:
    """Write the card as ``<element-id>.model-card.<md|html|pdf|json>`` in ``directory``;
    beside a Markdown card, its risk assessment as ``<element-id>.risk-assessment.json``
    (the front matter holds Hugging Face metadata only)."""
    from ...outputs import write_output

    ext = {"md": "md", "html": "html", "pdf": "pdf", "json": "json"}[fmt]
    path = Path(directory) / f"{card.element.id}.model-card.{ext}"
    if fmt == "md":
        data = to_markdown(card).encode("utf-8")
    elif fmt == "html":
        data = card_html(card, paper).encode("utf-8")
    elif fmt == "pdf":
        data = card_pdf(card, paper, engine)
    else:
        data = (json.dumps(to_mct(card), indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    write_output(path, data, force=True, backup=False)
    if fmt == "md":
        sidecar = {"model_name": card.element.name, "risk_assessment": card.risk_assessment}
        text = json.dumps(sidecar, indent=2, ensure_ascii=False) + "\n"
        write_output(
            path.with_name(f"{card.element.id}.risk-assessment.json"),
            text.encode(),
            force=True,
            backup=False,
        )
    return path
