"""Every lazy tab of every page, in English and Chinese, with a committed sample: no exception or error, no
catalog key left on the page, the asked tab open, and the charts' JSON under its limit (tests.helpers.each_tab).
The pages' own numbers are checked against independent references in their test files."""

from __future__ import annotations

import pytest

from tests.helpers import PAGE_TABS, each_tab, sample_bytes

N_BATCH = 256  # the Gradient flow batch tab's label names the test batch's size
SMALL_PAGES = {"pages/tensors.py", "pages/upsampling.py"}  # their charts stay under 1 MB


@pytest.mark.parametrize("page", sorted(PAGE_TABS))
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_tab_with_a_sample(page: str, lang: str) -> None:
    key, labels = PAGE_TABS[page]
    limit = {"max_payload": 1_000_000} if page in SMALL_PAGES else {}
    opened = [label for label, _ in each_tab(page, key, labels, lang, *sample_bytes(3), n=N_BATCH, **limit)]
    assert opened == labels
