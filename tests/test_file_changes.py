"""Someone else saves the model file: the workbench reloads it, or merges it with its own
unsaved edits (issue 16, point 2). The merge itself, the workbench's reaction, and a real
kernel polling the file between cells."""

from __future__ import annotations

import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from workbench import Flow, ThreatModel
from workbench.model.merge import merge


@pytest.fixture
def base() -> ThreatModel:
    return ThreatModel.from_template("rag_assistant")


def _props(model: ThreatModel, element_id: str, **changes: object) -> ThreatModel:
    e = model.element(element_id)
    return model.update_element(
        element_id, properties={**e.properties.model_dump(exclude_none=True), **changes}
    )


# ----------------------------------------------------------------------------- merge
def test_changes_on_both_sides_to_different_items_merge(base: ThreatModel) -> None:
    mine = _props(base, "vector_store", authorization=True)
    theirs = _props(base, "llm_app", rate_limited=True).update_element(
        "api_gateway", name="Edge gateway"
    )
    result = merge(base, mine, theirs)
    assert result.clean
    assert result.model.element("vector_store").properties.authorization is True
    assert result.model.element("llm_app").properties.rate_limited is True
    assert result.model.element("api_gateway").name == "Edge gateway"
    assert "element 'llm_app' changed" in result.theirs
    assert "element 'api_gateway' changed" in result.theirs
    assert not any("vector_store" in t for t in result.theirs)  # one's own change


def test_additions_and_removals_on_either_side(base: ThreatModel) -> None:
    flow = base.flows[0]
    mine = base.add_flow(Flow(id="mine_flow", source=flow.target, target=flow.source))
    theirs = base.remove_flow(base.flows[-1].id)
    result = merge(base, mine, theirs)
    assert result.clean
    ids = {f.id for f in result.model.flows}
    assert "mine_flow" in ids
    assert base.flows[-1].id not in ids
    assert f"flow {base.flows[-1].id!r} removed" in result.theirs


def test_the_same_item_changed_differently_keeps_ones_own(base: ThreatModel) -> None:
    mine = base.update_element("vector_store", name="Mine")
    theirs = base.update_element("vector_store", name="Theirs")
    result = merge(base, mine, theirs)
    assert result.conflicts == ("element 'vector_store'",)
    assert result.model.element("vector_store").name == "Mine"
    same = merge(base, mine, mine)
    assert same.clean
    assert same.model == mine


def test_sides_that_fit_only_apart_keep_ones_own_and_say_why(base: ThreatModel) -> None:
    gone = base.flows[0].source
    mine = base.add_flow(Flow(id="to_gone", source=base.flows[1].target, target=gone))
    theirs = base.remove_element(gone, cascade=True)
    result = merge(base, mine, theirs)
    assert result.error
    assert gone in result.error
    assert result.model == mine


def test_system_and_tolerance_merge_as_one_item_each(base: ThreatModel) -> None:
    mine = base.replace(system=base.system.model_copy(update={"owners": ["Mine"]}))
    theirs = base.replace(
        risk_tolerance=base.risk_tolerance.model_copy(update={"accept_up_to": "low"})
    )
    result = merge(base, mine, theirs)
    assert result.clean
    assert result.model.system.owners == ["Mine"]
    assert result.model.risk_tolerance.accept_up_to == "low"


# ----------------------------------------------------------------------------- workbench
@pytest.fixture
def saved(tmp_path: Path, base: ThreatModel) -> Path:
    path = tmp_path / "rag.yaml"
    base.save(path)
    return path


def _elsewhere(path: Path, edit: Callable[[ThreatModel], ThreatModel]) -> None:
    """Another notebook loads the file, edits and saves it."""
    model = edit(ThreatModel.load(path))
    time.sleep(0.01)  # a later modification time even on coarse clocks
    model.save(path)


def test_a_file_saved_elsewhere_is_reloaded(saved: Path, catalog) -> None:
    from widgets import Workbench

    wb = Workbench.load(saved, catalog=catalog)
    assert wb.watch is not None
    assert not wb.watch.check()  # nothing new yet
    _elsewhere(saved, lambda m: _props(m, "llm_app", rate_limited=True))
    assert wb.watch.check()
    assert wb.model.element("llm_app").properties.rate_limited is True
    assert "Reloaded rag.yaml" in wb.status.value
    assert wb.analysis.model is wb.model  # re-analysed
    # its own save is not taken for someone else's
    wb.model = wb.model.update_element("llm_app", name="Renamed here")
    wb.save()
    assert not wb.watch.check()


def test_unsaved_edits_are_merged_with_what_was_saved_elsewhere(saved: Path, catalog) -> None:
    from widgets import Workbench

    wb = Workbench.load(saved, catalog=catalog)
    assert wb.watch is not None
    wb.model = _props(wb.model, "vector_store", authorization=True)  # unsaved
    _elsewhere(saved, lambda m: m.update_element("api_gateway", name="Edge gateway"))
    assert wb.watch.check()
    assert wb.model.element("vector_store").properties.authorization is True
    assert wb.model.element("api_gateway").name == "Edge gateway"
    assert "Merged what was saved to rag.yaml" in wb.status.value
    assert "atw-error" not in wb.status.value
    wb.canvas.undo()  # the merge is one step: undo gives back one's own edits alone
    assert wb.model.element("api_gateway").name != "Edge gateway"
    assert wb.model.element("vector_store").properties.authorization is True


def test_a_conflict_keeps_ones_own_version_and_says_so(saved: Path, catalog) -> None:
    from widgets import Workbench

    wb = Workbench.load(saved, catalog=catalog)
    assert wb.watch is not None
    wb.model = wb.model.update_element("vector_store", name="Mine")
    _elsewhere(saved, lambda m: m.update_element("vector_store", name="Theirs"))
    assert wb.watch.check()
    assert wb.model.element("vector_store").name == "Mine"
    assert "Kept your version of element &#x27;vector_store&#x27;" in wb.status.value
    wb.load_file()  # Load takes the file's
    assert wb.model.element("vector_store").name == "Theirs"


def test_a_broken_file_leaves_the_model_and_says_why(saved: Path, catalog) -> None:
    from widgets import Workbench

    wb = Workbench.load(saved, catalog=catalog)
    assert wb.watch is not None
    before = wb.model
    time.sleep(0.01)
    saved.write_text("format_version: 1\nelements: [\n", encoding="utf-8")
    assert wb.watch.check()
    assert wb.model is before
    assert "changed on disk but does not load" in wb.status.value


# ----------------------------------------------------------------------------- kernel
@pytest.mark.slow
def test_a_kernel_notices_the_change_between_cells(saved: Path) -> None:
    """In a real kernel the workbench polls on the kernel's event loop: a change saved by
    someone else shows without running anything."""
    jupyter_client = pytest.importorskip("jupyter_client")
    km, kc = jupyter_client.manager.start_new_kernel(kernel_name="python3")
    try:

        def run(code: str) -> str:
            out: list[str] = []

            def keep(msg: dict) -> None:  # type: ignore[type-arg]
                if msg["msg_type"] == "stream":
                    out.append(msg["content"]["text"])
                elif msg["msg_type"] == "error":
                    out.append("\n".join(msg["content"]["traceback"]))

            kc.execute_interactive(textwrap.dedent(code), output_hook=keep, timeout=120)
            return "".join(out)

        run(
            f"""
            from widgets import Workbench
            wb = Workbench.load({str(saved)!r})
            print(wb.watch._handle is not None)
            """
        )
        _elsewhere(saved, lambda m: _props(m, "llm_app", rate_limited=True))
        deadline = time.monotonic() + 30
        seen = ""
        while time.monotonic() < deadline:
            time.sleep(1.5)  # the kernel is idle: only its own poll can notice
            seen = run("print(wb.model.element('llm_app').properties.rate_limited)")
            if "True" in seen:
                break
        assert "True" in seen, seen
        assert "Reloaded" in run("print(wb.status.value)")
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
