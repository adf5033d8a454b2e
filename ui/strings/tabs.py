"""Tab labels of the pages whose sections became lazy tabs (only the open tab runs)."""

STRINGS: dict[str, tuple[str, str]] = {
    "pool.tab.maps": ("Before and after", "池化前后"),
    "pool.tab.window": ("One output cell", "一个输出格"),
    "pool.tab.numbers": ("By hand", "手算"),
    "pool.tab.backward": ("Backward", "反向传播"),
    "pool.tab.shift": ("Shift invariance", "平移不变性"),
    "act.tab.curves": ("Curves", "函数曲线"),
    "act.tab.real": ("On this image", "在这张图上"),
    "act.tab.variants": ("Trained variants", "训练好的各版本"),
    "act.tab.warp": ("Why non-linearity", "为什么需要非线性"),
    "cls.tab.flatten": ("Flatten", "展平"),
    "cls.tab.fc": ("Fully connected", "全连接层"),
    "cls.tab.softmax": ("Softmax", "Softmax"),
    "cls.tab.loss": ("Loss", "损失函数"),
    "attr.tab.gradients": ("Gradients", "梯度"),
    "attr.tab.cam": ("Grad-CAM", "Grad-CAM"),
    "attr.tab.sanity": ("Sanity check", "合理性检验"),
    "attr.tab.occlusion": ("Occlusion", "遮挡实验"),
}
