"""CNN Lens presentation: plotly figure builders, shared widgets and the en/zh string catalog."""
