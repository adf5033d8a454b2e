"""Plotly figure builders: plain arrays or explain/ dataclasses in, a plotly Figure out (no Streamlit)."""
