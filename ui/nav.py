"""The page list, in the order of the course: shared by app.py (navigation) and page links."""

from __future__ import annotations

from dataclasses import dataclass

from explain import kinds


@dataclass(frozen=True)
class PageSpec:
    path: str  # relative to the app's folder
    title_key: str
    icon: str
    section_key: str


PAGES: tuple[PageSpec, ...] = (
    PageSpec("pages/overview.py", "nav.overview", ":material/home:", "nav.section.start"),
    PageSpec("pages/convolution.py", "nav.convolution", ":material/grid_on:", "nav.section.layers"),
    PageSpec("pages/activations.py", "nav.activations", ":material/show_chart:", "nav.section.layers"),
    PageSpec("pages/pooling.py", "nav.pooling", ":material/compress:", "nav.section.layers"),
    PageSpec("pages/classifier.py", "nav.classifier", ":material/hub:", "nav.section.layers"),
    PageSpec("pages/gradient_flow.py", "nav.gradient_flow", ":material/trending_down:", "nav.section.gradients"),
    PageSpec("pages/attribution.py", "nav.attribution", ":material/visibility:", "nav.section.gradients"),
    PageSpec("pages/backprop.py", "nav.backprop", ":material/undo:", "nav.section.gradients"),
    PageSpec("pages/training_lab.py", "nav.training_lab", ":material/model_training:", "nav.section.learning"),
    PageSpec("pages/mlp_vs_cnn.py", "nav.mlp_vs_cnn", ":material/compare:", "nav.section.learning"),
    PageSpec("pages/tensors.py", "nav.tensors", ":material/data_array:", "nav.section.learning"),
    PageSpec("pages/upsampling.py", "nav.upsampling", ":material/open_in_full:", "nav.section.learning"),
)

#: Which page explains a layer kind (for links from the architecture table), from the table of layer kinds.
KIND_PAGE: dict[str, str] = {k.kind: k.page for k in kinds.TABLE if k.page is not None}


#: The query parameter that selects a layer on a page (its layer picker is bound to the URL), so a link such as
#: ``/convolution?conv_layer=block2.conv1`` opens that layer already selected.
LAYER_PARAM: dict[str, str] = {
    "pages/convolution.py": "conv_layer",
    "pages/activations.py": "act_layer",
    "pages/pooling.py": "pool_layer",
}


def existing_pages() -> list[PageSpec]:
    """The pages whose file exists (a page can only be linked once it is registered)."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    return [p for p in PAGES if (root / p.path).exists()]
