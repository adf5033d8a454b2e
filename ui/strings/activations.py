"""Strings of the Activation functions page."""

STRINGS: dict[str, tuple[str, str]] = {
    "act.title": ("Activation functions", "激活函数"),
    "act.intro": (
        "After each convolution the network applies an activation function f to every value: a = f(z). "
        "It is what makes the network non-linear. The course's example: y = 2x is linear; put it through "
        "sigmoid and y' = sigmoid(2x) has a new shape, which lets the model learn patterns (edges, textures, "
        "shapes) that no linear relation can describe.",
        "每次卷积之后，网络对每个数值施加一个激活函数 f：a = f(z)。它为网络引入非线性。"
        "课程里的例子：y = 2x 是线性关系；"
        "把它送进 sigmoid，得到 y' = sigmoid(2x)，形状就变了——正是这种非线性让模型能学习边缘、纹理、形状等"
        "无法用简单线性关系表示的模式。"),
    # curves
    "act.curves": ("The functions and their derivatives", "函数及其导数"),
    "act.pick": ("Functions to draw", "要画的函数"),
    "act.show_f": ("show f(x)", "显示 f(x)"),
    "act.show_df": ("show the derivative f′(x) (dotted)", "显示导数 f′(x)（虚线）"),
    "act.curves_caption": (
        "Solid: f(x). Dotted: f′(x), computed by PyTorch's autograd (not from a hand formula). Where f′ is "
        "near 0 the gradient that trains the layers below almost vanishes.",
        "实线：f(x)；虚线：f′(x)，由 PyTorch 的自动微分计算（不是手写公式）。f′ 接近 0 的地方，传给下面各层的梯度"
        "几乎消失。"),
    "act.curves_why": (
        "* **sigmoid** squashes any number into (0, 1), like a probability; its slope is at most 1/4, and "
        "almost 0 for |x| > 5 (saturation), so stacked sigmoids pass back tiny gradients.\n"
        "* **tanh** is a shifted, stretched sigmoid with outputs in (−1, 1), centred on 0; slope at most 1.\n"
        "* **ReLU** = max(0, x): slope 1 for x > 0, so gradients pass unchanged, and 0 for x < 0: a unit that "
        "is negative for every input never learns again (a *dead* unit).\n"
        "* **ELU** is x for x > 0 and e^x − 1 below: smooth, with small negative outputs instead of 0.\n"
        "* **PReLU** = max(0, x) + a·min(0, x): like ReLU, but the slope a of the negative side is *learned*, "
        "one per channel.\n"
        "* **LeakyReLU** fixes that slope at 0.01; **GELU** = x·Φ(x) and **SiLU** = x·sigmoid(x) are smooth "
        "ReLU-like curves used in modern networks.",
        "* **sigmoid** 把任何数压到 (0, 1) 之间，像一个概率；它的斜率最大只有 1/4，|x| > 5 时几乎为 0（饱和），"
        "所以多层 sigmoid 往回传的梯度会非常小。\n"
        "* **tanh** 是平移、拉伸后的 sigmoid，输出在 (−1, 1)，以 0 为中心；斜率最大为 1。\n"
        "* **ReLU** = max(0, x)：x > 0 时斜率为 1，梯度原样通过；x < 0 时斜率为 0——对所有输入都为负的单元再也学不到"
        "东西（“死亡”单元）。\n"
        "* **ELU** 在 x > 0 时为 x，x < 0 时为 e^x − 1：平滑，负半轴输出小的负数而不是 0。\n"
        "* **PReLU** = max(0, x) + a·min(0, x)：与 ReLU 类似，但负半轴的斜率 a 是*学出来的*，每个通道一个。\n"
        "* **LeakyReLU** 把这个斜率固定为 0.01；**GELU** = x·Φ(x) 和 **SiLU** = x·sigmoid(x) 是现代网络常用的"
        "平滑版 ReLU。"),
    "act.fn.sigmoid": ("sigmoid", "sigmoid"),
    "act.fn.tanh": ("tanh", "tanh"),
    "act.fn.relu": ("ReLU", "ReLU"),
    "act.fn.elu": ("ELU", "ELU"),
    "act.fn.prelu": ("PReLU", "PReLU"),
    "act.fn.leaky_relu": ("LeakyReLU", "LeakyReLU"),
    "act.fn.gelu": ("GELU", "GELU"),
    "act.fn.silu": ("SiLU", "SiLU"),
    "act.fn.relu6": ("ReLU6", "ReLU6"),
    "act.fn.hardswish": ("Hardswish", "Hardswish"),
    "act.fn.hardsigmoid": ("Hardsigmoid", "Hardsigmoid"),
    "act.fn.mish": ("Mish", "Mish"),
    "act.fn.selu": ("SELU", "SELU"),
    "act.fn.hardtanh": ("Hardtanh", "Hardtanh"),
    "act.fn.none": ("none (linear only)", "无（只有线性部分）"),
    "act.curves_why_modern": (
        "The ImageNet models use these:\n"
        "* **ReLU6**(x) = min(max(0, x), 6): ReLU capped at 6 (MobileNetV2), robust in low precision.\n"
        "* **SiLU**(x) = x·σ(x) (also called swish; EfficientNet): smooth, slightly negative for x < 0, "
        "SiLU′(x) = σ(x)(1 + x(1 − σ(x))).\n"
        "* **Hardswish**(x) = x·ReLU6(x + 3)/6 (MobileNetV3): 0 for x ≤ −3, x for x ≥ 3 and x(x + 3)/6 in "
        "between: a cheap, piecewise version of SiLU without an exponential.\n"
        "* **Hardsigmoid**(x) = ReLU6(x + 3)/6: 0 for x ≤ −3, 1 for x ≥ 3, x/6 + 1/2 in between: a cheap σ, "
        "used by MobileNetV3's squeeze-and-excitation blocks to turn a channel summary into a weight in [0, 1]; "
        "EfficientNet uses the real **sigmoid** there.\n\n"
        "Three more you can draw above: **Mish**(x) = x·tanh(ln(1 + eˣ)) (YOLOv4), smooth like SiLU; **SELU**, an "
        "ELU scaled by λ ≈ 1.0507 (α ≈ 1.6733) so that activations keep mean 0 and variance 1 layer after layer; "
        "**Hardtanh** = min(max(x, −1), 1), a piecewise-linear tanh whose gradient is exactly 0 outside [−1, 1].",
        "ImageNet 模型使用这些函数：\n"
        "* **ReLU6**(x) = min(max(0, x), 6)：上限为 6 的 ReLU（MobileNetV2），在低精度计算中更稳健。\n"
        "* **SiLU**(x) = x·σ(x)（也叫 swish；EfficientNet）：平滑，x < 0 时略为负，"
        "SiLU′(x) = σ(x)(1 + x(1 − σ(x)))。\n"
        "* **Hardswish**(x) = x·ReLU6(x + 3)/6（MobileNetV3）：x ≤ −3 时为 0，x ≥ 3 时为 x，中间为 x(x + 3)/6："
        "不用指数运算的分段版 SiLU，计算便宜。\n"
        "* **Hardsigmoid**(x) = ReLU6(x + 3)/6：x ≤ −3 时为 0，x ≥ 3 时为 1，中间为 x/6 + 1/2：便宜的 σ，"
        "MobileNetV3 的挤压-激励（SE）模块用它把通道的概括变成 [0, 1] 之间的权重；EfficientNet 在那里用真正的 "
        "**sigmoid**。\n\n"
        "上面还可以画另外三个：**Mish**(x) = x·tanh(ln(1 + eˣ))（YOLOv4），像 SiLU 一样平滑；**SELU**，把 ELU 乘以 "
        "λ ≈ 1.0507（α ≈ 1.6733），让激活值一层接一层地保持均值 0、方差 1；**Hardtanh** = min(max(x, −1), 1)，"
        "分段线性的 tanh，在 [−1, 1] 之外梯度正好是 0。"),
    "act.own_functions": ("{model} uses: {fns}.", "{model} 使用的激活函数：{fns}。"),
    "act.formula.sigmoid": ("σ(z) = 1/(1 + e^−z)", "σ(z) = 1/(1 + e^−z)"),
    "act.formula.tanh": ("tanh(z)", "tanh(z)"),
    "act.formula.relu": ("max(0, z)", "max(0, z)"),
    "act.formula.elu": ("z if z > 0, else e^z − 1", "z > 0 时为 z，否则为 e^z − 1"),
    "act.formula.prelu": ("max(0, z) + a·min(0, z), a learned", "max(0, z) + a·min(0, z)，a 是学出来的"),
    "act.formula.leaky_relu": ("max(0, z) + 0.01·min(0, z)", "max(0, z) + 0.01·min(0, z)"),
    "act.formula.gelu": ("z·Φ(z)", "z·Φ(z)"),
    "act.formula.silu": ("z·σ(z)", "z·σ(z)"),
    "act.formula.relu6": ("min(max(0, z), 6)", "min(max(0, z), 6)"),
    "act.formula.hardswish": ("z·ReLU6(z + 3)/6", "z·ReLU6(z + 3)/6"),
    "act.formula.hardsigmoid": ("ReLU6(z + 3)/6", "ReLU6(z + 3)/6"),
    "act.formula.mish": ("z·tanh(ln(1 + e^z))", "z·tanh(ln(1 + e^z))"),
    "act.formula.selu": ("λ·z if z > 0, else λ·α(e^z − 1); λ ≈ 1.0507, α ≈ 1.6733",
                         "z > 0 时为 λ·z，否则为 λ·α(e^z − 1)；λ ≈ 1.0507，α ≈ 1.6733"),
    "act.formula.hardtanh": ("min(max(z, −1), 1)", "min(max(z, −1), 1)"),
    "act.kinds": ("The activation layers of this model", "本模型的激活层"),
    "act.kinds.col.kind": ("kind", "种类"),
    "act.kinds.col.formula": ("f(z)", "f(z)"),
    "act.kinds.col.calls": ("calls", "调用次数"),
    "act.kinds.col.inplace": ("in place", "原地（inplace）"),
    "act.kinds.col.first": ("first call", "第一次调用"),
    "act.inplace_note": (
        "In-place activations (ReLU(inplace=True)) write f(z) over z to save memory. The trace keeps a copy of "
        "z taken before the write, so the pre-activations below are the real ones.",
        "原地激活（ReLU(inplace=True)）把 f(z) 直接写在 z 上以节省内存。追踪在写入之前保存了 z 的副本，"
        "所以下面的激活前数值是真实的。"),
    "act.inplace_layer": ("{name} works in place; z is the copy recorded before it overwrote its input.",
                          "{name} 是原地操作；z 是它覆盖输入之前记录的副本。"),
    "act.source_op": ("a tensor operation (e.g. a residual sum)", "张量运算（例如残差相加）"),
    "act.dead_count": ("{n} of {c} channels are 0 everywhere on this image: {channels}",
                       "{c} 个通道中有 {n} 个在本图片上处处为 0：{channels}"),
    "act.maps": ("Before and after the activation, channel by channel", "激活前后，逐个通道"),
    "act.maps_pre": ("z (before) · {shape}", "z（之前）· {shape}"),
    "act.maps_post": ("{fn}(z) (after)", "{fn}(z)（之后）"),
    "act.maps_caption": (
        "Left: the pre-activations z (blue negative, red positive, white 0); right: f(z) for the same channels, "
        "every map at full resolution, each side with its own colour bar.",
        "左：激活前数值 z（蓝色为负，红色为正，白色为 0）；右：同样这些通道的 f(z)，"
        "每张图都是完整分辨率，两边各有自己的色条。"),
    "act.variants_fmnist_only": (
        "it compares TinyVGG models trained on Fashion-MNIST that differ only in their activation function",
        "它比较的是在 Fashion-MNIST 上训练、只有激活函数不同的 TinyVGG 模型"),
    "act.prelu_slope": ("PReLU slope a for the curve", "曲线中 PReLU 的斜率 a"),
    "act.prelu_learned": ("Learned PReLU slopes of {model}, one per channel",
                          "{model} 学到的 PReLU 斜率（每个通道一个）"),
    "act.prelu_learned_caption": (
        "Each bar is the slope a that training chose for the negative side of one channel (dashed: the start "
        "value 0.25). a < 0.25 moves towards ReLU, a near 1 is almost linear, a < 0 folds negatives upwards.",
        "每根柱子是训练为某个通道负半轴选出的斜率 a（虚线：初始值 0.25）。a < 0.25 更接近 ReLU，a 接近 1 几乎是线性，"
        "a < 0 会把负值翻到上方。"),
    "act.prelu_initial": ("start 0.25", "初始 0.25"),
    "act.prelu_missing": (
        "The trained PReLU variant (tinyvgg-prelu) is not available yet, so the PReLU curve uses PyTorch's "
        "start value a = 0.25.",
        "训练好的 PReLU 变体（tinyvgg-prelu）暂不可用，所以 PReLU 曲线使用 PyTorch 的初始值 a = 0.25。"),
    # real pre-activations
    "act.real": ("On your image: the real pre-activations of one layer", "在你的图片上：某一层真实的激活前数值"),
    "act.layer": ("Activation layer", "激活层"),
    "act.layer_option": ("{name} · {kind} (input from {source})", "{name} · {kind}（输入来自 {source}）"),
    "act.apply": ("Apply this function to the same pre-activations", "对同样的激活前数值施加此函数"),
    "act.apply_help": ("The model's own function is selected first; choose another to see what it would do "
                       "with exactly the same numbers.",
                       "默认是模型自己的激活函数；换一个即可看到它会如何处理完全相同的数值。"),
    "act.shape_line": ("{source} · {shape}  →  {name} · {shape}", "{source} · {shape}  →  {name} · {shape}"),
    "act.own_check": ("Check: f(z) computed here equals the traced output of {name} (largest difference {diff:.2e}).",
                      "核对：这里算出的 f(z) 与追踪记录中 {name} 的输出一致（最大差值 {diff:.2e}）。"),
    "act.own_mismatch": ("f(z) differs from the traced output of {name} by up to {diff:.2e}.",
                         "f(z) 与追踪记录中 {name} 的输出最多相差 {diff:.2e}。"),
    "act.frac_negative": ("inputs z < 0", "输入 z < 0"),
    "act.frac_zero": ("outputs exactly 0", "输出恰为 0"),
    "act.frac_zero_help": ("For ReLU these units are 'dead' for this image: they pass no signal and no gradient.",
                           "对 ReLU 而言，这些单元对本图片是“死亡”的：既不传信号也不传梯度。"),
    "act.frac_saturated": ("saturated: |f′(z)| < 0.01", "饱和：|f′(z)| < 0.01"),
    "act.frac_saturated_help": ("Where the slope is almost 0 (sigmoid/tanh far from 0, or ReLU's negative side) "
                                "almost no gradient flows back.",
                                "斜率几乎为 0 的地方（sigmoid/tanh 远离 0 处，或 ReLU 的负半轴）几乎没有梯度回传。"),
    "act.hist_title": ("Histogram of z (before) and f(z) (after)", "z（之前）与 f(z)（之后）的直方图"),
    "act.before": ("before: z", "之前：z"),
    "act.after": ("after: {fn}(z)", "之后：{fn}(z)"),
    "act.log_y": ("logarithmic count axis", "计数轴取对数"),
    "act.hist_caption": (
        "ReLU piles every negative z onto exactly 0 (the tall bar); sigmoid and tanh squeeze large |z| "
        "against their limits.",
        "ReLU 把所有负的 z 堆到恰好 0（那根高柱）；sigmoid 和 tanh 把绝对值大的 z 挤到各自的上下限附近。"),
    "act.channels": ("Per-channel statistics", "逐通道统计"),
    "act.col.channel": ("channel", "通道"),
    "act.col.mean_in": ("mean z", "z 的均值"),
    "act.col.mean_out": ("mean f(z)", "f(z) 的均值"),
    "act.col.max_out": ("max f(z)", "f(z) 的最大值"),
    "act.col.zero": ("exactly 0", "恰为 0"),
    "act.col.saturated": ("saturated", "饱和"),
    "act.units_not_channels": ("This layer is fully connected: its {n} values are units, not channels of a "
                               "feature map, so there is no per-channel table.",
                               "这一层是全连接层：它的 {n} 个数值是神经元而不是特征图的通道，所以没有逐通道表格。"),
    "act.no_activation": ("the model has no activation layer.", "模型没有激活层。"),
    # variants
    "act.variants": ("The trained Fashion-MNIST variants side by side on your image",
                     "各 Fashion-MNIST 训练变体在你的图片上并排比较"),
    "act.variants_intro": (
        "These Fashion-MNIST TinyVGG models share architecture, data, seed and training; only the activation "
        "function differs. Maps: the first {n} channels of {layer} after the activation.",
        "这些 Fashion-MNIST TinyVGG 模型的结构、数据、随机种子和训练方式都相同，只有激活函数不同。"
        "特征图：{layer} 激活之后的前 {n} 个通道。"),
    "act.variant_pred": ("{label} · {prob:.1%}", "{label} · {prob:.1%}"),
    "act.variant_acc": ("test accuracy {acc:.1%}", "测试准确率 {acc:.1%}"),
    "act.variant_shape": ("{layer} · {shape}", "{layer} · {shape}"),
    "act.variant_no_map": ("{layer} is not a feature map in this model.", "该模型中 {layer} 不是特征图。"),
    "act.variants_only_one": (
        "Only {names} is committed so far; the other variants appear here once their training has finished.",
        "目前只提交了 {names}；其他变体训练完成后会出现在这里。"),
    "act.val_curves": ("Validation accuracy per epoch (from the model cards)", "每轮的验证准确率（来自模型卡片）"),
    "act.epoch": ("epoch", "轮次"),
    "act.val_acc": ("validation accuracy", "验证准确率"),
    "act.variants_why": (
        "Without batch normalisation, sigmoid saturates easily: its gradient is at most 1/4 per layer, so the "
        "first layers learn slowly, and its curve usually starts lower. ReLU-like functions keep slope 1 on "
        "the positive side and train fastest.",
        "没有批归一化时 sigmoid 很容易饱和：每层的梯度最多只有 1/4，靠前的层学得很慢，所以它的曲线通常起点更低。"
        "ReLU 一类函数在正半轴斜率为 1，训练最快。"),
    # why non-linearity
    "act.warp": ("Why non-linearity: a layer warps the space", "为什么需要非线性：一层网络扭曲空间"),
    "act.warp_intro": (
        "The course notes describe what one layer does to its input space: 升维/降维 (change the "
        "dimension), 放大/缩小 (scale), 旋转 (rotate), 平移 (shift) and 弯曲 (bend). W·x + b does the first "
        "four; only the activation bends. The two classes below cannot be split by a straight line; after "
        "the layer they often can.",
        "课程笔记把一层网络对输入空间的作用概括为：升维/降维、放大/缩小、旋转、平移、弯曲。W·x + b 完成前四种；"
        "只有激活函数能“弯曲”。下面的两类点无法用一条直线分开；经过这一层之后往往就可以了。"),
    "act.warp_data": ("Two classes", "两类点"),
    "act.warp_rings": ("two rings", "两个同心圆环"),
    "act.warp_xor": ("XOR (four clusters)", "异或（四团点）"),
    "act.warp_act": ("Activation", "激活函数"),
    "act.warp_angle": ("rotate θ (degrees)", "旋转 θ（度）"),
    "act.warp_scale": ("scale s", "缩放 s"),
    "act.warp_lift": ("lift to 3-D (three units at θ, θ+120°, θ+240°)",
                      "升到 3 维（三个单元，方向 θ、θ+120°、θ+240°）"),
    "act.warp_shift": ("shift b{i}", "平移 b{i}"),
    "act.warp_panel_in": ("input x", "输入 x"),
    "act.warp_panel_lin": ("W·x + b (rotate, scale, shift)", "W·x + b（旋转、缩放、平移）"),
    "act.warp_panel_out": ("{fn}(W·x + b) (bend)", "{fn}(W·x + b)（弯曲）"),
    "act.warp_class": ("class {k}", "类别 {k}"),
    "act.warp_acc": ("Accuracy of the best straight cut (a line in 2-D, a plane in 3-D)",
                     "最佳直线切分的准确率（2 维中是一条直线，3 维中是一个平面）"),
    "act.warp_acc_in": ("input", "输入"),
    "act.warp_acc_lin": ("after W·x + b", "W·x + b 之后"),
    "act.warp_acc_out": ("after the activation", "激活之后"),
    "act.warp_caption": (
        "The grey grid lines stay straight and parallel under W·x + b; the activation bends them. Accuracy: the "
        "share of points on their own class's side of the best line (2-D) or plane (3-D), found by trying hundreds "
        "of directions (every 0.25° in 2-D, then finer around the best) with every threshold along each. A "
        "least-squares fit, a common shortcut, can miss the best cut by far: 54% instead of 70% on the two rings.",
        "灰色网格线经过 W·x + b 后依然是平行直线；激活函数让它们弯曲。准确率：最佳直线（2 维）或平面（3 维）"
        "把多少比例的点分到了自己类别的一侧。它是搜索出来的：尝试几百个方向"
        "（2 维中每隔 0.25°，再在最好的方向附近细搜），每个方向上尝试所有阈值。"
        "常用的捷径——最小二乘拟合——可能远不是最佳切分：在两个同心圆环上它只有 54%，而最佳直线能达到 70%。"),
    "act.warp_tip": ("Try: two rings, ReLU, lift to 3-D, all shifts −0.6: the inner ring collapses onto one "
                     "corner and a plane separates the classes.",
                     "试试：两个同心圆环、ReLU、升到 3 维、所有平移设为 −0.6："
                     "内圈被压到一个角上，一个平面就能把两类分开。"),
    "act.stack": ("Without an activation, two layers are one linear map", "没有激活函数，两层等于一层线性映射"),
    "act.stack_intro": (
        "Take the layer above as layer 1 and add a second linear layer. Without f in between, "
        "W₂(W₁x + b₁) + b₂ = (W₂W₁)x + (W₂b₁ + b₂): one matrix and one bias do the same job, so depth adds "
        "nothing.",
        "把上面的层当作第 1 层，再加一个线性层。中间没有 f 时，W₂(W₁x + b₁) + b₂ = (W₂W₁)x + (W₂b₁ + b₂)："
        "一个矩阵加一个偏置就能做同样的事，加深网络毫无用处。"),
    "act.stack_points": ("Three points of the data set, in two steps and in one", "数据集中的三个点：分两步算与一步算"),
    "act.stack_col_x": ("x", "x"),
    "act.stack_col_two": ("W₂(W₁x + b₁) + b₂", "W₂(W₁x + b₁) + b₂"),
    "act.stack_col_one": ("(W₂W₁)x + (W₂b₁ + b₂)", "(W₂W₁)x + (W₂b₁ + b₂)"),
    "act.stack_equal": ("Largest difference between the two: {diff:.1e} (rounding only).",
                        "两者的最大差值：{diff:.1e}（只是舍入误差）。"),
    "act.stack_fit": (
        "Best single affine map fitted to all points: RMS error {lin:.1e} without an activation, {act:.3f} with "
        "{fn} between the layers: with the activation no single linear map can do what the two layers do.",
        "对所有点拟合一个最佳的仿射映射：中间没有激活函数时均方根误差为 {lin:.1e}；两层之间加上 {fn} 时为 {act:.3f}："
        "有了激活函数，任何单个线性映射都做不到两层所做的事。"),
    "act.stack_pick_fn": ("the chosen activation (or ReLU when none is chosen)", "所选激活函数（未选时用 ReLU）"),
    "act.sig2x": ("The notes' example: y = 2x and y' = sigmoid(2x)", "笔记中的例子：y = 2x 与 y' = sigmoid(2x)"),
    "act.sig2x_a": ("slope a in y = a·x", "y = a·x 中的斜率 a"),
    "act.sig2x_x": ("x", "x"),
    "act.sig2x_values": ("At x = {x:.2f}: y = {a:.1f}·x = {lin:.3f}, y' = sigmoid({a:.1f}·x) = {sig:.3f}.",
                         "在 x = {x:.2f} 处：y = {a:.1f}·x = {lin:.3f}，y' = sigmoid({a:.1f}·x) = {sig:.3f}。"),
    "act.sig2x_caption": (
        "The line grows without bound; sigmoid keeps the same order (bigger x, bigger y') but bends it into "
        "(0, 1), a range we can read as a probability, which helps the decision.",
        "直线会无限增长；sigmoid 保持同样的顺序（x 越大 y' 越大），但把它弯进 (0, 1) 区间——可以当作概率来读，"
        "便于决策。"),
    "act.linear": ("y = a·x", "y = a·x"),
    "act.sigmoid": ("y' = sigmoid(a·x)", "y' = sigmoid(a·x)"),
}
