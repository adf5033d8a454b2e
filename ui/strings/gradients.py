"""Strings of the Gradient flow page."""

STRINGS: dict[str, tuple[str, str]] = {
    "grad.title": ("Gradient flow: how much gradient reaches each layer", "梯度流动：每一层收到多少梯度"),
    "grad.intro": (
        "Training changes every weight w by −lr · ∂L/∂w. The gradient ∂L/∂w is computed backwards from the loss, "
        "layer by layer, with the chain rule. If it shrinks on the way back (vanishing gradient), the early layers "
        "barely learn; if it grows (exploding gradient), training becomes unstable. The charts use a log scale: "
        "one grid step is a factor of 10.",
        "训练时每个权重 w 按 −lr · ∂L/∂w 更新。梯度 ∂L/∂w 是从损失出发、用链式法则逐层反向算出来的。"
        "如果它在反向传递中越来越小（梯度消失），前面的层几乎学不到东西；如果越来越大（梯度爆炸），训练就会不稳定。"
        "图中使用对数坐标：一格代表 10 倍。"),
    "grad.tab.image": ("This image", "当前图片"),
    "grad.tab.compare": ("Every activation, this image", "各种激活函数，这张图片"),
    "grad.single.compare_hint": ("The same image through every trained variant and through untrained networks: "
                                 "tab “{tab}”.",
                                 "同一张图片经过每个已训练的变体和未训练的网络：见“{tab}”标签页。"),
    "grad.tab.batch": ("Average over {n} test images", "{n} 张测试图片的平均"),
    "grad.tab.maps": ("Gradient maps of a conv layer", "卷积层的梯度图"),
    "grad.target": ("Target class t", "目标类别 t"),
    "grad.target_pred": ("predicted class ({label})", "预测类别（{label}）"),
    "grad.loss": ("What is differentiated", "对什么求导"),
    "grad.loss.logit": ("the class score S_t (logit)", "类别得分 S_t（logit）"),
    "grad.loss.cross_entropy": ("cross-entropy loss with a label y", "带标签 y 的交叉熵损失"),
    "grad.loss_help": (
        "Class score: L = z_t, the raw output of class t before softmax. Cross-entropy: L = −log softmax(z)_y, the "
        "training loss if y were the true label.",
        "类别得分：L = z_t，即类别 t 在 softmax 之前的原始输出。"
        "交叉熵：L = −log softmax(z)_y，即假设 y 是真实标签时的训练损失。"),
    "grad.label": ("Label y", "标签 y"),
    "grad.loss_value.logit": ("L = S_t = z_{t} for class {label}: {value:.4f}",
                              "L = S_t = z_{t}（类别 {label}）：{value:.4f}"),
    "grad.loss_value.cross_entropy": ("L = −log softmax(z)_y with y = {label}: {value:.4f}",
                                      "L = −log softmax(z)_y，y = {label}：{value:.4f}"),
    "grad.single.title": ("{model}: gradient norms in forward order", "{model}：按前向顺序的梯度范数"),
    "grad.series.output": ("‖∂L/∂output‖ of the layer", "该层输出的 ‖∂L/∂输出‖"),
    "grad.series.weights": ("‖∂L/∂weights‖ of the layer", "该层权重的 ‖∂L/∂权重‖"),
    "grad.axis.norm": ("L2 norm (log scale)", "L2 范数（对数坐标）"),
    "grad.single.caption": (
        "Read from right to left, the way the gradient travels: the blue line is the size of ∂L/∂a at each layer's "
        "output a, the red diamonds the size of ∂L/∂w for the layers that have weights. ‖g‖₂ = √(Σ gᵢ²).",
        "从右往左读，这是梯度传递的方向：蓝线是每层输出 a 处 ∂L/∂a 的大小，红色菱形是有权重的层的 ∂L/∂w 的大小。"
        "‖g‖₂ = √(Σ gᵢ²)。"),
    "grad.compare.trained": ("All trained variants on this image", "所有已训练变体在这张图片上的梯度"),
    "grad.compare.untrained": ("Untrained networks (fresh initialisation, seed 0) on this image",
                               "未训练网络（初始随机权重，种子 0）在这张图片上的梯度"),
    "grad.compare.out_title": ("‖∂L/∂output‖ per layer", "每层的 ‖∂L/∂输出‖"),
    "grad.compare.w_title": ("‖∂L/∂weights‖ per layer with weights", "每个有权重层的 ‖∂L/∂权重‖"),
    "grad.compare.caption": (
        "Same architecture, same data, same training: only the activation function differs. The target for each "
        "model is the one chosen above ({target}).",
        "结构、数据、训练方式都相同，只有激活函数不同。每个模型的目标与上面所选的相同（{target}）。"),
    "grad.compare.own_pred": ("each model's own predicted class", "各模型自己的预测类别"),
    "grad.compare.only_one": ("Only {n} trained variant(s) are available so far; the others appear here once their "
                              "weights are committed.",
                              "目前只有 {n} 个已训练变体；其他变体的权重提交后会出现在这里。"),
    "grad.ratio.untrained": (
        "Untrained networks: the first conv layer's weights get **{ratio:,.0f}×** less gradient with sigmoid than "
        "with ReLU ({relu:.2e} vs {sigmoid:.2e}).",
        "未训练网络：使用 sigmoid 时，第一个卷积层权重得到的梯度比 ReLU 小 **{ratio:,.0f} 倍**"
        "（{relu:.2e} 对 {sigmoid:.2e}）。"),
    "grad.ratio.trained": (
        "Trained networks: ReLU / sigmoid ratio of the first conv layer's weight gradient: **{ratio:,.1f}×** "
        "({relu:.2e} vs {sigmoid:.2e}).",
        "已训练网络：第一个卷积层权重梯度的 ReLU / sigmoid 之比为 **{ratio:,.1f} 倍**"
        "（{relu:.2e} 对 {sigmoid:.2e}）。"),
    "grad.why.title": ("Why does sigmoid starve the early layers?", "为什么 sigmoid 让前面的层“挨饿”？"),
    "grad.why.body": (
        "Backpropagation multiplies local derivatives along the chain: ∂L/∂a₁ = ∂L/∂aₙ · ∂aₙ/∂aₙ₋₁ · … · ∂a₂/∂a₁. "
        "Every activation contributes its derivative f′(z) to this product. For the sigmoid σ(z) = 1/(1 + e^(−z)), "
        "σ′(z) = σ(z)(1 − σ(z)) is at most 0.25 (at z = 0) and almost 0 when |z| is large (the curve is flat: "
        "saturation). TinyVGG has four activations between the loss and its first conv layer, so the gradient "
        "there is scaled by at most 0.25⁴ ≈ 0.004 by the activations alone. ReLU's derivative is exactly 1 "
        "wherever z > 0, so the gradient passes unchanged through the active units. tanh (tanh′ ≤ 1) lies in "
        "between; ELU and PReLU behave like ReLU for z > 0 and keep a small gradient for z < 0.\n\n"
        "Training shifts the picture (the sigmoid network's weights grow to compensate), which is why the untrained "
        "networks show the effect most clearly: that is the situation at the start of training, where a slow start "
        "of the early layers costs many epochs.",
        "反向传播沿着链条把局部导数相乘：∂L/∂a₁ = ∂L/∂aₙ · ∂aₙ/∂aₙ₋₁ · … · ∂a₂/∂a₁。每个激活函数都会把它的导数 f′(z) "
        "乘进这个乘积。sigmoid σ(z) = 1/(1 + e^(−z)) 的导数 σ′(z) = σ(z)(1 − σ(z)) 最大只有 0.25（在 z = 0 处），"
        "|z| 较大时几乎为 0（曲线变平：饱和）。TinyVGG 在损失和第一个卷积层之间有四个激活函数，"
        "所以仅激活函数就会把那里的梯度缩小到至多 0.25⁴ ≈ 0.004 倍。"
        "ReLU 在 z > 0 处的导数恰好是 1，所以梯度经过激活的神经元时保持不变。"
        "tanh（tanh′ ≤ 1）介于两者之间；ELU 和 PReLU 在 z > 0 时与 ReLU 相同，在 z < 0 时还保留一点梯度。\n\n"
        "训练会改变这个情况（sigmoid 网络的权重会变大来弥补），所以未训练网络最能说明问题：那正是训练开始时的状态，"
        "前面的层起步慢，就要多花很多轮训练。"),
    "grad.batch.intro": (
        "One image can be unusual. Here the loss is the mean cross-entropy of the first {n} Fashion-MNIST test "
        "images with their true labels, L = (1/N) Σᵢ ℓᵢ, computed once per model.",
        "一张图片可能不具代表性。这里的损失是前 {n} 张 Fashion-MNIST 测试图片在真实标签下的平均交叉熵 "
        "L = (1/N) Σᵢ ℓᵢ，每个模型只计算一次。"),
    "grad.batch.reduction": ("Which average", "哪一种平均"),
    "grad.batch.mean_norm": ("mean of the per-image norms (1/N) Σᵢ ‖∇ℓᵢ‖", "每张图片范数的平均 (1/N) Σᵢ ‖∇ℓᵢ‖"),
    "grad.batch.mean_grad": ("norm of the gradient of the batch loss L = (1/N) Σᵢ ℓᵢ",
                             "批损失 L = (1/N) Σᵢ ℓᵢ 的梯度的范数"),
    "grad.batch.reduction_help": (
        "The mean of the per-image norms says how strong the signal is for a typical image. The gradient of the "
        "batch loss is what one training step on this batch uses. For the weights, which all images share, it is "
        "the average (1/N) Σᵢ ∇ℓᵢ: gradients of different images partly cancel. A layer's output is a different "
        "tensor for every image, so there nothing is added up: each image's part gets (1/N) ∂ℓᵢ/∂aᵢ, and the norm "
        "over the whole batch is √(Σᵢ ‖∂ℓᵢ/∂aᵢ‖²) / N. Both are smaller than the mean of the per-image norms.",
        "每张图片范数的平均表示对一张典型图片而言信号有多强。批损失的梯度是用这一批数据训练一步时实际使用的量。"
        "对所有图片共享的权重，它是平均值 (1/N) Σᵢ ∇ℓᵢ：不同图片的梯度会部分抵消。而每张图片的层输出是各自独立的张量，"
        "所以这里不做相加：每张图片那一部分的梯度是 (1/N) ∂ℓᵢ/∂aᵢ，整批张量上的范数是 √(Σᵢ ‖∂ℓᵢ/∂aᵢ‖²) / N。"
        "两者都比每张图片范数的平均小。"),
    "grad.batch.showing": ("Shown: {what}.", "当前显示：{what}。"),
    "grad.batch.trained": ("Trained variants, {n} test images", "已训练变体，{n} 张测试图片"),
    "grad.batch.untrained": ("Untrained networks (seed 0), {n} test images", "未训练网络（种子 0），{n} 张测试图片"),
    "grad.batch.computing": ("Computing the gradients of {n} test images for every model (once)…",
                             "正在为每个模型计算 {n} 张测试图片的梯度（只算一次）……"),
    "grad.batch.col.model": ("model", "模型"),
    "grad.batch.col.trained": ("trained", "已训练"),
    "grad.batch.col.accuracy": ("accuracy on these images", "在这些图片上的准确率"),
    "grad.batch.col.loss": ("mean loss", "平均损失"),
    "grad.batch.col.first": ("‖∂L/∂W‖ first layer", "第一层 ‖∂L/∂W‖"),
    "grad.batch.col.last": ("‖∂L/∂W‖ classifier", "分类层 ‖∂L/∂W‖"),
    "grad.yes": ("yes", "是"),
    "grad.no": ("no (random)", "否（随机）"),
    "grad.maps.layer": ("Conv layer", "卷积层"),
    "grad.maps.output_title": ("∂L/∂output of {layer} · {shape}", "{layer} 的 ∂L/∂输出 · {shape}"),
    "grad.maps.output_caption": (
        "Each small map is the gradient at one output channel: red where increasing that value would increase L, "
        "blue where it would decrease L. Its sum over positions is ∂L/∂b for that channel's bias.",
        "每张小图是一个输出通道上的梯度：红色表示增大该值会使 L 增大，蓝色表示会使 L 减小。"
        "把一张图上所有位置的值加起来，就是该通道偏置的 ∂L/∂b。"),
    "grad.maps.fixed": ("Fixed range ±", "固定范围 ±"),
    "grad.maps.kernel_norms": ("‖∂L/∂W[o, i]‖ of every kernel of {layer} · weights {shape}",
                               "{layer} 每个卷积核的 ‖∂L/∂W[o, i]‖ · 权重 {shape}"),
    "grad.maps.axis_in": ("input channel i", "输入通道 i"),
    "grad.maps.axis_out": ("output channel o", "输出通道 o"),
    "grad.maps.channel": ("Output channel o", "输出通道 o"),
    "grad.maps.kernels_title": ("∂L/∂W[{o}, i] for every input channel i · [{cin}, {kh}, {kw}]",
                                "∂L/∂W[{o}, i]（每个输入通道 i）· [{cin}, {kh}, {kw}]"),
    "grad.maps.kernel_label": ("in {i}", "输入 {i}"),
    "grad.maps.map_label": ("ch {c}", "通道 {c}"),
    "grad.maps.weights_caption": (
        "A kernel's gradient is the correlation of the layer's input with the output gradient: "
        "∂L/∂W[o, i, u, v] = Σ_(h,w) ∂L/∂out[o, h, w] · in_pad[i, s·h + d·u, s·w + d·v], where in_pad is the input "
        "with p zeros added on every side (padding p, stride s, dilation d; in TinyVGG p = 1 and s = d = 1, so it "
        "reads in_pad[i, h+u, w+v]). Bright kernels change most in the next training step.",
        "卷积核的梯度是该层输入与输出梯度的互相关：∂L/∂W[o, i, u, v] = Σ_(h,w) ∂L/∂out[o, h, w] · "
        "in_pad[i, s·h + d·u, s·w + d·v]，其中 in_pad 是在输入四周各补 p 圈 0 之后的结果（填充 p、步长 s、膨胀 d；"
        "TinyVGG 中 p = 1、s = d = 1，即读取 in_pad[i, h+u, w+v]）。越亮的卷积核在下一步训练中变化越大。"),
    "grad.maps.no_conv": ("this model has no convolution layers, so there are no feature-map gradients.",
                          "这个模型没有卷积层，因此没有特征图梯度。"),
    # ImageNet models
    "grad.single.order": (
        "The {n} layer calls are in the order the forward pass really ran them: in a residual block the shortcut's "
        "layers come after the branch, and a module used twice appears again with \"#2\" (here: {reused}). "
        "Additions and other functions are not layers, so they have no point of their own.",
        "这 {n} 次层调用按前向传播真实的执行顺序排列：残差块中捷径上的层排在分支之后，同一个模块被调用两次时会以 "
        "\"#2\" 再次出现（这里：{reused}）。加法等函数不是层，所以没有自己的点。"),
    "grad.compare.fmnist_only": (
        "the comparison of activation functions (ReLU, sigmoid, tanh…) uses the TinyVGG variants trained on "
        "28x28 Fashion-MNIST images, which cannot read this 224x224 photo",
        "激活函数（ReLU、sigmoid、tanh……）的比较使用在 28x28 Fashion-MNIST 图片上训练的 TinyVGG 变体，"
        "它们无法读取这张 224x224 的照片"),
    "grad.batch.fmnist_only": ("the average over {n} Fashion-MNIST test images, with their true labels",
                               "{n} 张 Fashion-MNIST 测试图片及其真实标签上的平均"),
    "grad.maps.no_weight_grad": ("the trace stores no weight gradient for it.", "追踪记录中没有保存它的权重梯度。"),
    "grad.maps.map_prefix": ("ch", "通道"),
    "grad.maps.kernel_prefix": ("in", "输入"),
    "grad.maps.inputs_limited": (
        "This layer has {c} input channels; the kernel charts show the {n} whose kernels get the largest gradient.",
        "这一层有 {c} 个输入通道；卷积核图只显示梯度最大的 {n} 个。"),
    "grad.single.not_stored": (
        "No ‖∂L/∂weights‖ point for {layers}: their weight matrices have more than 5 million numbers, so the trace "
        "does not keep their gradients (the gradient still flows through them: see ‖∂L/∂output‖).",
        "{layers} 没有 ‖∂L/∂权重‖ 的点：它们的权重矩阵超过 500 万个数，所以追踪记录不保存其梯度"
        "（梯度仍然流过它们：见 ‖∂L/∂输出‖）。"),
}
