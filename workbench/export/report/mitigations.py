"""Mitigations: the plan of the body — the recommended fix of each cause, what to do in
short (:func:`render_plan`) — and, in the appendix, every mitigation the catalog
recommends for the findings, in full, with the controls each implements
(:func:`render_others`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...register.coverage import CONTROL_FRAMEWORKS, FRAMEWORK_LABELS
from ..safehtml import Html, h, join, link, small, table
from .context import ReportContext, ident

if TYPE_CHECKING:
    from ...catalog.entries import Mitigation


def plan_ids(ctx: ReportContext) -> list[str]:
    """The recommended fixes of the causes, in the order of the causes (worst first),
    each once."""
    return list(dict.fromkeys(ge.group.fix for ge in ctx.groups if ge.group.fix))


def render_plan(ctx: ReportContext) -> Html:
    """The recommended fix of each cause, one row each: the causes it addresses, how many
    findings the catalog recommends it for, its status."""
    ids = plan_ids(ctx)
    causes: dict[str, list[tuple[int, str]]] = {m: [] for m in ids}
    for i, ge in enumerate(ctx.groups, 1):
        if ge.group.fix in causes:
            causes[ge.group.fix].append((i, ge.group.id))
    intro = h(
        "p",
        "The recommended fix of each cause, in the order of the causes (worst first), "
        f"with the causes it addresses (by their number in {ctx.ref('causes')}) and the "
        "findings it is recommended for. Status: implemented (a mitigated decision names "
        "it), planned (an open decision names it), or recommended. "
        f"{ctx.ref('mitigations', start=True)} says what to do for each fix and which "
        "controls it implements in NIST AI RMF, ISO/IEC 42001, NIST SP 800-53 and MITRE "
        "ATLAS, and lists the other mitigations the catalog recommends.",
        class_="intro",
    )
    if not ids:
        return join(intro, h("p", "No mitigations recommended.", class_="empty"))
    rows = []
    for mid in ids:
        m = ctx.catalog.mitigations.get(mid)
        use = ctx.mitigation_use.get(mid)
        rows.append(
            (
                join(link(f"#m-{mid}", m.title if m else mid), " ", small(ident(mid))),
                join(
                    join(", " if k else None, link(f"#g-{gid}", str(i)))
                    for k, (i, gid) in enumerate(causes[mid])
                ),
                len(use.recommended) if use is not None else 0,
                use.status if use is not None else "recommended",
            )
        )
    return join(
        intro,
        table(
            ("Fix", "Causes", "Findings", "Status"),
            rows,
            class_="plan",
            widths=("66%", "12%", "9%", "13%"),
        ),
    )


def render_others(ctx: ReportContext) -> Html:
    """Every mitigation the catalog recommends for the findings: the plan's fixes first,
    in its order, then the others, most widely useful first."""
    use = ctx.mitigation_use
    planned = plan_ids(ctx)
    others = sorted(
        (m for m in use if m not in set(planned)), key=lambda m: (-len(use[m].recommended), m)
    )
    intro = h(
        "p",
        f"The fixes of {ctx.ref('plan')} first, in its order, with what to do; then the "
        "other mitigations the catalog recommends for the findings, most widely useful "
        "first"
        + (" (the HTML report says what to do for each)" if ctx.options.for_print else "")
        + ". Each with the controls it implements.",
        class_="intro",
    )
    if not planned and not others:
        return join(intro, h("p", "None.", class_="empty"))
    return join(
        intro,
        h("h3", f"The plan's fixes ({len(planned)})") if planned else None,
        [_block(ctx, mid) for mid in planned],
        h("h3", f"Other recommended mitigations ({len(others)})") if others else None,
        [_block(ctx, mid, short=ctx.options.for_print) for mid in others],
    )


def _block(ctx: ReportContext, mid: str, *, short: bool = False) -> Html:
    m = ctx.catalog.mitigations.get(mid)
    use = ctx.mitigation_use.get(mid)
    n = len(use.recommended) if use is not None else 0
    status = use.status if use is not None else "recommended"
    head = h(
        "p",
        h("strong", m.title if m else mid, class_="m-title"),
        " ",
        small(ident(mid)),
        small(f" · {n} finding{'s' if n != 1 else ''} · {status}"),
        class_="m-head",
    )
    return h(
        "div",
        head,
        _controls(ctx, m),
        h("p", m.description, class_="m-text") if m and not short else None,
        class_="mitigation",
        id=f"m-{mid}",
    )


def _controls(ctx: ReportContext, m: Mitigation | None) -> Html | None:
    """The controls a mitigation implements, framework by framework, on one line."""
    if m is None:
        return None
    parts: list[object] = []
    reasons = m.controls.reasons()
    for fw in CONTROL_FRAMEWORKS:
        ids = getattr(m.controls, fw)
        if not ids and fw not in reasons:
            continue
        parts.append(
            h(
                "span",
                h("span", f"{FRAMEWORK_LABELS[fw]}: ", class_="lbl"),
                ctx.refs(fw, ids)
                if ids
                else h("span", "none", class_="sub", title=reasons.get(fw) or None),
                class_="fw",
            )
        )
    if not parts:
        return None
    return h("p", [join(" · " if i else None, p) for i, p in enumerate(parts)], class_="m-controls")
