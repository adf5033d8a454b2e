"""CNN Lens computation: tracing, image loading, convolution arithmetic, gradients.

torch/numpy only: this package never imports streamlit, plotly, ``ui`` or ``pages``.
"""
