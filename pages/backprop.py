"""Backpropagation: derivative vs differential and gradient descent on a loss surface, the chain rule with real
numbers, why backward() needs a scalar, and the current model's computation graph with a finite-difference check.

The first three tabs need no image; the last one explains the current image and model.
"""

from __future__ import annotations

import streamlit as st

from explain import chain_rule as cr
from explain import descent, kinds
from explain import gradcheck as gc
from explain import layer_backward as lb
from explain.graph import model_graph
from explain.summary import not_stored, output_grad_norm, weight_grad_norm
from explain.trace import LossKind, Trace
from ui import state
from ui.figures.backprop import (
    chain_dot,
    fd_error_figure,
    fmt,
    loss_steps_figure,
    model_graph_dot,
    surface_figure,
    vector_text,
)
from ui.i18n import class_names, t
from ui.sections import lazy_tabs
from ui.sidebar import PageContext, page_context

LRS = (0.001, 0.003, 0.01, 0.03, 0.05, 0.1, 0.15, 0.2, 0.24, 0.26, 0.3, 0.5)
MAX_GRAPH_NODES = 40  # larger graphs (ResNet, MobileNet, EfficientNet) are listed in the backward-order table
#: How the gradient-descent box shows each verdict of :attr:`explain.descent.DescentPath.verdict`
VERDICT_BOX = {"blew_up": st.warning, "diverged": st.warning, "crawl": st.info, "ok": st.success}


def main(ctx: PageContext) -> None:
    st.title(t("bp.title"))
    st.markdown(t("bp.intro"))
    lazy_tabs("bp_tab", [(t("bp.tab.gradient"), gradient_tab), (t("bp.tab.chain"), chain_tab),
                         (t("bp.tab.scalar"), scalar_tab), (t("bp.tab.model"), lambda: model_tab(ctx))])


def gradient_tab() -> None:
    st.markdown(t("bp.grad.defs"))
    keys = list(descent.SURFACES)
    c1, c2, c3 = st.columns([2, 1, 1])
    key = c1.radio(t("bp.grad.surface"), keys, format_func=lambda k: t(f"bp.grad.surface.{k}"), horizontal=True,
                   key="bp_surface")
    surface = descent.SURFACES[key]
    w1 = c2.slider(t("bp.grad.w1"), *surface.w1_range, value=-1.5 if key == "valley" else 2.5, step=0.1,
                   key=f"bp_w1_{key}")
    w2 = c3.slider(t("bp.grad.w2"), *surface.w2_range, value=2.0 if key == "valley" else 2.0, step=0.1,
                   key=f"bp_w2_{key}")
    d1, d2, d3, d4 = st.columns(4)
    lr = d1.select_slider(t("bp.gd.lr"), LRS, value=0.03 if key == "valley" else 0.1, key=f"bp_lr_{key}")
    steps = d2.slider(t("bp.gd.steps"), 1, 100, 30, key="bp_steps")
    dw1 = d3.number_input(t("bp.diff.dw1"), -1.0, 1.0, 0.1, step=0.05, format="%.3f", key="bp_dw1")
    dw2 = d4.number_input(t("bp.diff.dw2"), -1.0, 1.0, 0.05, step=0.05, format="%.3f", key="bp_dw2")

    diff = descent.differential(surface, (w1, w2), (dw1, dw2))
    path = state.shared(descent.gradient_descent, descent.SURFACES[key], (w1, w2), lr, steps, scope=(key,))
    m1, m2, m3, m4 = st.columns(4)
    m1.metric(t("bp.grad.value"), fmt(diff.value))
    m2.metric("∂f/∂w₁", fmt(diff.partials[0]))
    m3.metric("∂f/∂w₂", fmt(diff.partials[1]))
    m4.metric(t("bp.grad.norm"), fmt(diff.gradient_norm))
    left, right = st.columns([3, 2])
    with left:
        grid = state.shared(descent.surface_grid, descent.SURFACES[key], scope=(key,))
        st.plotly_chart(surface_figure(grid, point=(w1, w2), grad=diff.partials, path=path,
                                       log_scale=key == "valley", title=t("bp.grad.figure", formula=surface.formula),
                                       path_name=t("bp.grad.path")), width="stretch")
        if key == "valley":
            st.caption(t("bp.grad.log_note"))
    with right:
        st.markdown("**" + t("bp.diff.title") + "**")
        st.markdown(t("bp.diff.text", g1=fmt(diff.partials[0]), dw1=fmt(dw1), g2=fmt(diff.partials[1]),
                      dw2=fmt(dw2), df=fmt(diff.df), delta=fmt(diff.delta), gap=fmt(abs(diff.delta - diff.df))))
        st.markdown("**" + t("bp.gd.title") + "**")
        k = len(path.points) - 1
        f0, fk = fmt(float(path.losses[0])), fmt(float(path.losses[-1]))
        VERDICT_BOX[path.verdict](t(f"bp.gd.{path.verdict}", f0=f0, fk=fk, k=k))
        crit = descent.critical_lr(surface)
        if crit is not None and surface.hessian_eigs is not None:
            st.caption(t("bp.gd.critical", lams=", ".join(fmt(v) for v in surface.hessian_eigs), crit=fmt(crit)))
        st.plotly_chart(loss_steps_figure(path, title=t("bp.gd.loss_title"), x_title=t("bp.gd.step")),
                        width="stretch")
    with st.expander(t("common.why")):
        st.markdown(t("bp.gd.why"))


def chain_tab() -> None:
    st.markdown(t("bp.chain.intro"))
    d = cr.TinyNet()
    cols = st.columns(6)
    names = ("x", "w1", "b1", "w2", "b2", "t")
    vals = {n: c.number_input(n, -10.0, 10.0, float(getattr(d, n)), step=0.1, format="%.3f", key=f"bp_tiny_{n}")
            for n, c in zip(names, cols, strict=True)}
    chain = cr.chain_rule(cr.TinyNet(**vals))
    st.graphviz_chart(chain_dot(chain), width="stretch")
    st.markdown("**" + t("bp.chain.table") + "**")
    st.dataframe([{
        t("bp.chain.col.grad"): s.name,
        t("bp.chain.col.upstream"): f"{s.upstream} = {fmt(s.upstream_value)}" if s.upstream else "",
        t("bp.chain.col.local"): f"{s.local} = {fmt(s.local_value)}",
        t("bp.chain.col.product"): f"{s.value:.8f}",
        t("bp.chain.col.autograd"): "" if s.autograd is None else f"{s.autograd:.8f}",
        t("bp.chain.col.diff"): "" if s.autograd is None else f"{abs(s.value - s.autograd):.1e}",
    } for s in chain.steps], hide_index=True, width="stretch")
    if chain.max_abs_diff <= 1e-6:
        st.success(t("bp.chain.match", diff=chain.max_abs_diff))
    else:
        st.warning(t("bp.chain.mismatch", diff=chain.max_abs_diff))
    with st.expander(t("common.why")):
        st.markdown(t("bp.chain.why"))
        st.caption(t("bp.chain.code"))
        st.code("x, w1, b1, w2, b2 = (torch.tensor(v, requires_grad=True) for v in (x, w1, b1, w2, b2))\n"
                "L = (w2 * torch.sigmoid(w1 * x + b1) + b2 - t) ** 2\n"
                "torch.autograd.grad(L, [w2, b2, w1, b1, x])", language="python")


def scalar_tab() -> None:
    st.markdown(t("bp.scalar.intro"))
    c1, c2 = st.columns(2)
    x_text = c1.text_input(t("bp.scalar.x"), "1, 2, 3", key="bp_scalar_x", max_chars=200)
    v_text = c2.text_input(t("bp.scalar.v"), "1, 0.5, 0", key="bp_scalar_v", max_chars=200)
    try:
        x = cr.parse_vector(x_text)
    except cr.VectorInputError as e:
        st.error(t(f"bp.scalar.err.{e.code}", text=e.text[:60], n=cr.MAX_VECTOR))
        return
    try:
        v = cr.parse_vector(v_text, length=len(x))
    except cr.VectorInputError as e:
        st.error(t(f"bp.scalar.err.{e.code}", text=e.text[:60], n=len(x) if e.code == "length" else cr.MAX_VECTOR))
        return
    demo = cr.scalar_backward_demo(x, v)
    st.markdown(t("bp.scalar.try"))
    st.code(f"x = torch.tensor({vector_text(x)}, requires_grad=True)\ny = x ** 2        # {vector_text(demo.y)}\n"
            "y.backward()", language="python")
    if demo.error:
        st.code("RuntimeError: " + demo.error, language="text")
        st.caption(t("bp.scalar.error_caption"))
    else:
        st.info(t("bp.scalar.no_error"))
    left, right = st.columns(2)
    with left:
        st.markdown(t("bp.scalar.fix_sum"))
        st.code("y.sum().backward()\nx.grad", language="python")
        st.markdown(t("bp.scalar.result", grad=vector_text(demo.grad_sum)))
    with right:
        st.markdown(t("bp.scalar.fix_weights"))
        st.code(f"v = torch.tensor({vector_text(v)})\ny.backward(gradient=v)   # or torch.autograd.grad(y, x, "
                "grad_outputs=v)", language="python")
        st.markdown(t("bp.scalar.result", grad=vector_text(demo.grad_weighted)))
    with st.expander(t("common.why")):
        st.markdown(t("bp.scalar.why"))


def _norm_text(v: float | None) -> str:
    return "–" if v is None else f"{v:.3e}"


def backward_order(tr: Trace) -> None:
    """Every recorded layer call from the loss back to the input, with the gradient it receives."""
    rows = []
    for step, rec in enumerate(reversed(tr.layers), start=1):
        if not rec.params:
            w = "–"
        elif not_stored(rec):
            w = t("bp.order.not_stored")
        else:
            w = _norm_text(weight_grad_norm(rec))
        rows.append({t("bp.order.col.step"): step, t("bp.order.col.layer"): rec.key, t("bp.order.col.kind"): rec.kind,
                     t("bp.order.col.shape"): str(list(rec.output.shape)),
                     t("bp.order.col.grad"): _norm_text(output_grad_norm(rec)),
                     t("bp.order.col.wgrad"): w})
    st.dataframe(rows, hide_index=True, width="stretch", height=320)


def local_section(ctx: PageContext, tr: Trace) -> None:
    """One layer's chain-rule step: ∂L/∂in and ∂L/∂W from its input and ∂L/∂out, by hand and by autograd."""
    st.subheader(t("bp.local.title"))
    st.markdown(t("bp.local.intro"))
    keys = [r.key for r in tr.layers if r.input is not None and r.grad is not None]
    weighted = kinds.of_family("conv", "linear")  # the layers whose weight gradient this step forms
    convs = [k for k in keys if tr[k].kind in weighted]
    default = keys.index(convs[-1]) if convs else len(keys) - 1
    key = st.selectbox(t("bp.local.layer"), keys, index=default, key="bp_local_layer",
                       format_func=lambda k: f"{k} · {tr[k].kind}")
    lg = ctx.shared(lb.local_backward, ctx.model, key, tr)
    st.markdown(t(f"bp.local.formula.{lb.FORMULA_FAMILY.get(lg.kind, 'none')}", kind=lg.kind))
    m1, m2, m3 = st.columns(3)
    m1.metric(t("bp.local.out_norm"), f"{lg.out_grad_norm:.4e}")
    m2.metric(t("bp.local.in_norm"), f"{lg.in_grad_norm:.4e}")
    m3.metric(t("bp.local.diff"), "–" if lg.input_diff is None else f"{lg.input_diff:.1e}")
    if lg.hand:
        parts = [f"{n}: {v:.1e}" for n, v in lg.param_diffs.items()]
        st.caption(t("bp.local.check", params=", ".join(parts) or "–"))
    if lg.trace_diffs:
        st.caption(t("bp.local.trace_check", diffs=", ".join(f"{n}: {v:.1e}" for n, v in lg.trace_diffs.items())))
    if lg.producer is not None and lg.producer_diff is not None:
        same = lg.producer_diff <= 1e-6 * max(1.0, lg.in_grad_norm)
        st.caption(t("bp.local.producer_same" if same else "bp.local.producer_branch", producer=lg.producer,
                     diff=lg.producer_diff))


def choose_trace(ctx: PageContext) -> Trace:
    """The target and loss controls of the model tab; the trace of what they ask to differentiate."""
    base = ctx.trace()
    names: dict[int | None, str] = dict(enumerate(class_names()))  # made in this run
    names[None] = t("bp.model.target_predicted", label=names[base.prediction])
    c1, c2 = st.columns(2)
    options: list[int | None] = [None, *range(base.logits.shape[1])]
    target = c1.selectbox(t("common.target"), options, key="bp_target", format_func=names.__getitem__)
    loss: LossKind = c2.radio(t("bp.model.loss"), ["cross_entropy", "logit"], horizontal=True, key="bp_loss",
                              format_func=lambda k: t(f"bp.model.loss.{k}"))
    return ctx.trace(target=target, loss=loss)


def graph_section(ctx: PageContext, tr: Trace) -> None:
    """The model's computation graph with the gradient each node receives (small models only)."""
    st.subheader(t("bp.model.graph"))
    st.markdown(t("bp.model.intro", model=ctx.model_name))
    # every leaf call is a node, so a model with more calls than that is not traced symbolically at all
    graph = ctx.shared(model_graph, ctx.model, tr) if len(tr.layers) < MAX_GRAPH_NODES else None
    if graph is None or len(graph.nodes) > MAX_GRAPH_NODES:
        st.info(t("bp.model.graph_too_big", n=len(graph.nodes) if graph else f"> {len(tr.layers)}",
                  max=MAX_GRAPH_NODES))
    else:
        if graph.source != "fx":
            st.info(t("bp.model.fallback"))
        show_back = st.checkbox(t("bp.model.show_backward"), value=True, key="bp_show_backward")
        st.graphviz_chart(model_graph_dot(graph, grad_label=t("bp.model.grad_label"),
                                          param_label=t("bp.model.param_label"), loss_label=t("bp.model.loss"),
                                          show_backward=show_back))
    st.caption(t("bp.model.graph_caption", loss=fmt(tr.loss)))
    with st.expander(t("common.why")):
        st.markdown(t("bp.model.graph_why"))


def order_section(tr: Trace) -> None:
    st.subheader(t("bp.order.title"))
    st.markdown(t("bp.order.intro", n=len(tr.layers)))
    backward_order(tr)


def fd_section(ctx: PageContext, tr: Trace) -> None:
    """The finite-difference check of one weight against autograd and the trace's stored gradient."""
    st.subheader(t("bp.fd.title"))
    st.markdown(t("bp.fd.intro"))
    weighted = [r for r in tr.layers if r.call == 0 and any(g is not None for g in r.param_grads.values())]
    if not weighted:
        st.info(t("bp.fd.none"))
        return
    c1, c2, c3 = st.columns([2, 1, 2])
    rec = tr[c1.selectbox(t("bp.fd.layer"), [r.key for r in weighted], key="bp_fd_layer",
                          format_func=lambda k: f"{k} · {tr[k].kind}")]
    params = [p for p, g in rec.param_grads.items() if g is not None]
    param = c2.selectbox(t("bp.fd.param"), params, key=f"bp_fd_param_{rec.key}")
    hs = gc.IMAGENET_HS if ctx.is_imagenet else gc.DEFAULT_HS  # each h costs two float64 forwards
    h = c3.select_slider(t("bp.fd.h"), list(hs), value=1e-6, key=f"bp_fd_h_{ctx.family}",
                         format_func=lambda v: f"{v:.0e}")
    grad = rec.param_grads[param]
    assert grad is not None
    default = gc.largest_grad_index(grad)
    shape = tuple(grad.shape)
    idx_cols = st.columns(max(1, len(shape)))
    index = tuple(int(col.number_input(t("bp.fd.index", d=d, n=n - 1), 0, n - 1, default[d], step=1,
                                       key=f"bp_fd_idx_{rec.key}_{param}_{d}_{n}"))
                  for d, (col, n) in enumerate(zip(idx_cols, shape, strict=True)))
    if ctx.is_imagenet:  # a float64 copy of a large model and 2 forwards per h: only when asked for
        st.caption(t("bp.fd.cost", n=2 * len(hs)))
        if not st.toggle(t("bp.fd.run"), value=False, key="bp_fd_run"):
            return
    with st.spinner(t("bp.fd.running")):
        check = ctx.shared(gc.check_traced_weight, ctx.model, tr, rec.name, param, tuple(index), tuple(hs))
    row = check.row(h)
    st.markdown(t("bp.fd.w", name=f"{rec.name}.{param}", index=list(index)) + f" = {fmt(check.weight)} · "
                + t("common.shape", shape=list(shape)))
    m1, m2, m3, m4 = st.columns(4)
    m1.metric(t("bp.fd.fd"), f"{row.fd:.6g}")
    m2.metric(t("bp.fd.autograd"), f"{check.autograd:.6g}")
    m3.metric(t("bp.fd.trace"), f"{float(grad[index]):.6g}")
    m4.metric(t("bp.fd.rel"), f"{row.rel_error:.1e}")
    st.caption(t("bp.fd.formula", lp=f"{row.loss_plus:.6g}", lm=f"{row.loss_minus:.6g}", h=f"{row.h:.0e}",
                 diff=f"{row.loss_plus - row.loss_minus:.6g}", fd=f"{row.fd:.6g}"))
    if check.autograd == 0.0:
        st.info(t("bp.fd.zero"))
    st.plotly_chart(fd_error_figure(check, chosen_h=h, title=t("bp.fd.sweep"), y_title=t("bp.fd.rel")),
                    width="stretch")
    with st.expander(t("common.why")):
        st.markdown(t("bp.fd.why", n=sum(p.numel() for p in ctx.model.parameters())))


def model_tab(ctx: PageContext) -> None:
    """The current model and image: its graph, the backward order, one layer by hand, a finite-difference check."""
    ctx.require_image()
    tr = choose_trace(ctx)
    if ctx.is_imagenet:
        st.info(t("bp.model.imagenet_scope", title=ctx.title))
    graph_section(ctx, tr)
    order_section(tr)
    local_section(ctx, tr)
    fd_section(ctx, tr)


main(page_context())
