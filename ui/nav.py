"""The page list, in the order of the course: shared by app.py (navigation) and page links."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from explain import kinds


@dataclass(frozen=True)
class PageSpec:
    path: str  # relative to the app's folder
    title_key: str
    icon: str
    section_key: str


#: The course, section by section: each page as (file stem under ``pages/``, icon); its title is ``nav.<stem>``.
COURSE: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("nav.section.start", (("overview", ":material/home:"),)),
    ("nav.section.layers", (("convolution", ":material/grid_on:"), ("activations", ":material/show_chart:"),
                            ("pooling", ":material/compress:"), ("classifier", ":material/hub:"))),
    ("nav.section.gradients", (("gradient_flow", ":material/trending_down:"),
                               ("attribution", ":material/visibility:"), ("backprop", ":material/undo:"))),
    ("nav.section.learning", (("training_lab", ":material/model_training:"), ("mlp_vs_cnn", ":material/compare:"),
                              ("tensors", ":material/data_array:"), ("upsampling", ":material/open_in_full:"))),
)

PAGES: tuple[PageSpec, ...] = tuple(PageSpec(f"pages/{stem}.py", f"nav.{stem}", icon, section)
                                    for section, pages in COURSE for stem, icon in pages)

#: Which page explains a layer kind (for links from the architecture table), from the table of layer kinds.
KIND_PAGE: dict[str, str] = {k.kind: k.page for k in kinds.TABLE if k.page is not None}


#: The query parameter that selects a layer on a page (its layer picker is bound to the URL), so a link such as
#: ``/convolution?conv_layer=block2.conv1`` opens that layer already selected.
LAYER_PARAM: dict[str, str] = {
    "pages/convolution.py": "conv_layer",
    "pages/activations.py": "act_layer",
    "pages/pooling.py": "pool_layer",
}


@cache
def existing_pages() -> tuple[PageSpec, ...]:
    """The pages whose file exists (a page can only be linked once it is registered).

    Looked up once per process: the app's files do not change while it serves (every page view asks).
    """
    root = Path(__file__).resolve().parents[1]
    return tuple(p for p in PAGES if (root / p.path).exists())


def page_of_kind(kind: str) -> PageSpec | None:
    """The registered page that explains layer kind ``kind`` (None where no page does)."""
    path = KIND_PAGE.get(kind)
    return next((p for p in existing_pages() if p.path == path), None)


def pages_of_kinds(kinds_shown: set[str] | list[str]) -> list[PageSpec]:
    """The registered pages that explain any of ``kinds_shown``, in the order of the course."""
    linked = {KIND_PAGE[k] for k in kinds_shown if k in KIND_PAGE}
    return [p for p in existing_pages() if p.path in linked]
