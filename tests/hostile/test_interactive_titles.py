"""Issue 11, point 18: a name containing "href" must not switch pyvis to its popup that
sets ``innerHTML = title``; tooltips stay text."""

from __future__ import annotations

import pytest

from workbench import ThreatModel

pytest.importorskip("pyvis")


def test_href_in_a_name_keeps_the_text_tooltip() -> None:
    from workbench.export.interactive import network_page

    m = ThreatModel.model_validate(
        {
            "system": {"name": "T"},
            "elements": [
                {"id": "a", "kind": "process", "name": '<a href="javascript:alert(1)">x</a>'},
                {"id": "b", "kind": "user", "name": "HREF=evil"},
            ],
            "flows": [{"id": "f", "source": "b", "target": "a"}],
        }
    )
    page = network_page(m)
    assert "make a custom popup" not in page
    assert "popup.innerHTML" not in page
    assert "h\\u2060ref" in page or "h\u2060ref" in page
