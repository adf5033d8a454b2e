"""Tab labels of the pages whose sections became lazy tabs (only the open tab runs)."""

STRINGS: dict[str, tuple[str, str]] = {
    "pool.tab.maps": ("Before and after", "池化前后"),
    "pool.tab.window": ("One output cell", "一个输出格"),
    "pool.tab.numbers": ("By hand", "手算"),
    "pool.tab.backward": ("Backward", "反向传播"),
    "pool.tab.shift": ("Shift invariance", "平移不变性"),
}
