"""CNN Lens benchmarks: ``python -m benchmarks.bench`` (``make bench``)."""
