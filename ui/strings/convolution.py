"""Strings of the Convolution page."""

STRINGS: dict[str, tuple[str, str]] = {
    "conv.title": ("Convolution", "卷积"),
    "conv.intro": (
        "A convolution layer slides small kernels over its input. At every position it multiplies the kernel's "
        "weights with the pixels under it and adds the products up (a weighted sum), plus a bias. **The values in "
        "the kernel are the weights the CNN learns.** Each kernel gives one feature map.",
        "卷积层让小的卷积核在输入上滑动。在每个位置，把卷积核的权"
        "重与其覆盖的像素逐个相乘再相加（加权求和），再加上偏置。"
        "**卷积核里面的值其实就是权重**，CNN 学习的正是这些数值。每个卷积核得到一张特征图（feature map）。"),
    "conv.xcorr.title": ("Convolution or cross-correlation?", "是卷积还是互相关？"),
    "conv.xcorr.body": (
        "In mathematics a convolution flips the kernel before sliding it. Deep-learning libraries skip the flip: "
        "`F.conv2d` and `nn.Conv2d` compute a *cross-correlation*, y[i, j] = b + Σ w[u, v] · x[i + u, j + v]. "
        "Since the weights are learned, the network simply learns the flipped kernel, so the name stayed. "
        "Everything on this page uses the same rule as PyTorch.",
        "数学上的卷积会先把卷积核翻转再滑动。深度学习框架省去了翻转：`F.conv2d` 和 `nn.Conv2d` 计算的其实是"
        "*互相关*，y[i, j] = b + Σ w[u, v] · x[i + u, j + v]。因为权重是学出来的，网络直接学到“翻转后”的卷积核即可，"
        "所以沿用了“卷积”这个名字。本页的所有计算都与 PyTorch 的规则一致。"),
    "conv.no_conv": ("this model has no convolution layers (it is a plain fully connected network).",
                     "这个模型没有卷积层（它是普通的全连接网络）。"),
    "conv.layer_help": ("Each Conv2d layer of the current model, in the order the image passes through them.",
                        "当前模型的各个 Conv2d 层，按图片经过的顺序排列。"),
    "conv.tab.maps": ("Feature maps & kernels", "特征图与卷积核"),
    "conv.tab.arith": ("Kernel arithmetic", "卷积核算术"),
    "conv.tab.pad": ("Padding & stride", "填充与步长"),
    "conv.tab.play": ("Kernel playground", "卷积核实验"),
    "conv.tab.oned": ("1-D convolution", "一维卷积"),
    "conv.tab.deep": ("What deeper layers see", "深层看到什么"),
    # feature maps & kernels
    "conv.maps.view": ("Show", "显示"),
    "conv.maps.view.pre": ("conv output z (before the activation)", "卷积输出 z（激活之前）"),
    "conv.maps.view.post": ("after the activation ({kind})", "激活之后（{kind}）"),
    "conv.maps.fixed": ("Fixed range ±", "固定范围 ±"),
    "conv.maps.input": ("Input image ({n}x{n}, what the model sees)", "输入图片（{n}x{n}，即模型看到的）"),
    "conv.maps.input_rgb": ("Input picture: the {n}x{n} crop the model sees (before normalization)",
                            "输入图片：模型看到的 {n}x{n} 裁剪（归一化之前）"),
    "conv.maps.post_kind": ("{norm} → {act}", "{norm} → {act}"),
    "conv.maps.vector": (
        "This 1×1 convolution works on 1×1 maps (inside a squeeze-and-excitation block, after a global "
        "average): each \"map\" is a single number, so it acts like a fully connected layer over the channels.",
        "这个 1×1 卷积作用在 1×1 的特征图上（位于挤压-激励（SE）模块中，在全局平均之后）："
        "每张“特征图”只是一个数，所以它相当于在通道上做全连接。"),
    "conv.maps.layer_input": ("This layer reads {shape}.", "这一层读入 {shape}。"),
    "conv.maps.caption": (
        "One map per output channel (kernel). Red = positive, blue = negative, white = 0 (diverging scale centred "
        "on 0); after a ReLU the values are ≥ 0 and a sequential scale is used. The colour bar gives the range; "
        "the \"Kernel arithmetic\" tab prints the exact numbers of any cell. "
        "\"per map\" stretches each map to its own range (shapes are easy to see, but values are not comparable "
        "between maps); \"per layer\" uses one range for all maps.",
        "每个输出通道（每个卷积核）一张图。红色为正、蓝色为负、白色为 "
        "0（以 0 为中心的发散色标）；经过 ReLU 后数值 ≥ 0，"
        "改用顺序色标。色条给出数值范围；“卷积核算术”标签页会打印任意格子的精确数值。“每张图”让每"
        "张图用自己的范围（便于看形状，但不同图之间的数值不可比）；"
        "“每层”让所有图共用一个范围。"),
    "conv.kernels.title": ("Kernels of {layer} · weight {shape}", "{layer} 的卷积核 · 权重 {shape}"),
    "conv.kernels.caption": (
        "Each {kh}x{kw} square is one kernel slice w[o, c]. Row o = output channel o; column c = input channel c. "
        "Output channel o adds up the results of its {cin} slices (one per input channel) plus its bias.",
        "每个 {kh}x{kw} 小方块是一片卷积核 w[o, c]。第 o 行 = 第 o 个输出通道；第 c 列 = 第 c 个输入通道。"
        "输出通道 o 把它的 {cin} 片（每个输入通道一片）的结果相加，再加上偏置。"),
    "conv.kernels.caption_single": (
        "Each {kh}x{kw} square is the kernel of one output channel (the input has one channel). Red weights add "
        "the pixel, blue weights subtract it: a kernel with red on one side and blue on the other detects an edge.",
        "每个 {kh}x{kw} 小方块是一个输出通道的卷积核（输入只有一个通道）。红色权重加上像素值，蓝色权重减去像素值："
        "一边红一边蓝的卷积核会检测边缘。"),
    "conv.kernels.depthwise": (
        "Depthwise convolution (groups = {g}): each output channel o has exactly **one** {kh}x{kw} kernel, and it "
        "reads only input channel o. Nothing is mixed between channels here; the 1×1 convolution after it does that.",
        "深度卷积（depthwise，groups = {g}）：每个输出通道 o 只有**一个** {kh}x{kw} 卷积核，而且只读取输入通道 o。"
        "这里通道之间不混合；混合由后面的 1×1 卷积完成。"),
    "conv.kernels.selection": (
        "Only the kernels of the {n} output channels shown above are drawn, with {m} of their {cin} input-channel "
        "slices each (those with the largest total |w|): {ins}.",
        "只画出上面显示的 {n} 个输出通道的卷积核，每个只取其 {cin} 个输入通道切片中的 {m} 个"
        "（总 |w| 最大的）：{ins}。"),
    "conv.kernels.shown_out": ("Kernels of the {n} output channels shown above.",
                               "这里画出上面显示的 {n} 个输出通道的卷积核。"),
    "conv.kernels.out": ("out", "输出"),
    "conv.kernels.in": ("in", "输入"),
    # arithmetic
    "conv.arith.intro": (
        "Pick one output value and recompute it by hand from the layer's real input and weights.",
        "选一个输出值，用这一层真实的输入和权重手动重算一遍。"),
    "conv.arith.channel": ("Output channel", "输出通道"),
    "conv.arith.row": ("Row", "行"),
    "conv.arith.col": ("Column", "列"),
    "conv.arith.in_channel": ("Input channel to show", "要显示的输入通道"),
    "conv.arith.in_help": ("Every input channel contributes; the one with the largest contribution is chosen first.",
                           "每个输入通道都有贡献；默认先显示贡献最大的那个。"),
    "conv.arith.input_title": ("input channel {c} · window at ({r}, {col})", "输入通道 {c} · 窗口位于 ({r}, {col})"),
    "conv.arith.output_title": ("feature map {layer} · channel {ch}", "特征图 {layer} · 通道 {ch}"),
    "conv.arith.patch": ("input patch (channel {c})", "输入小块（通道 {c}）"),
    "conv.arith.kernel": ("kernel w[{o}, {c}]", "卷积核 w[{o}, {c}]"),
    "conv.arith.products": ("element-wise products", "逐元素乘积"),
    "conv.arith.pad": ("0 (pad)", "0（填充）"),
    "conv.arith.pad_note": ("Grey cells lie on the zero padding outside the image: they contribute 0.",
                            "灰色格子落在图片外的零填充上：它们的贡献为 0。"),
    "conv.arith.sums_title": ("Sum of the products per input channel", "每个输入通道的乘积之和"),
    "conv.arith.sums_x": ("input channel", "输入通道"),
    "conv.arith.sum_line": ("Sum of all {n} products: **Σ = {total:.5f}**", "全部 {n} 个乘积之和：**Σ = {total:.5f}**"),
    "conv.arith.bias_line": ("Plus the bias: z = Σ + b = {total:.5f} + ({bias:.5f}) = **{pre:.5f}**",
                             "加上偏置：z = Σ + b = {total:.5f} + ({bias:.5f}) = **{pre:.5f}**"),
    "conv.arith.act_line": ("Then the activation: {kind}(z) = **{post:.5f}**",
                            "再经过激活函数：{kind}(z) = **{post:.5f}**"),
    "conv.arith.no_act": ("No activation follows this layer directly.", "这一层后面没有紧跟激活函数。"),
    "conv.arith.no_bias": ("This layer has no bias (b = 0): z = Σ = **{pre:.5f}**.",
                           "这一层没有偏置（b = 0）：z = Σ = **{pre:.5f}**。"),
    "conv.arith.norm_line": (
        "Then the batch norm (running statistics of channel {o}): y = γ·(z − μ)/√(σ² + ε) + β = {gamma:.4f}·"
        "({pre:.5f} − ({mu:.5f}))/√({var:.5f} + {eps:g}) + ({beta:.4f}) = **{y:.5f}**",
        "然后是批归一化（通道 {o} 的滑动统计量）：y = γ·(z − μ)/√(σ² + ε) + β = {gamma:.4f}·"
        "({pre:.5f} − ({mu:.5f}))/√({var:.5f} + {eps:g}) + ({beta:.4f}) = **{y:.5f}**"),
    "conv.arith.act_after_norm": ("Then the activation: {kind}(y) = **{post:.5f}**",
                                  "再经过激活函数：{kind}(y) = **{post:.5f}**"),
    "conv.arith.no_act_norm": (
        "No activation follows the batch norm directly (here its output is first added to another branch).",
        "批归一化后面没有紧跟激活函数（它的输出先与另一个分支相加）。"),
    "conv.arith.match_norm": (", after the batch norm {value:.5f}", "，批归一化后 {value:.5f}"),
    "conv.arith.group": (
        "Output channel {o} reads the {n} input channels of its group: {first}–{last} (groups = {g}, so C_in/groups "
        "= {n}). The sum below runs over them.",
        "输出通道 {o} 读取它所在组的 {n} 个输入通道：{first}–{last}（groups = {g}，所以 C_in/groups = {n}）。"
        "下面的求和就是对这些通道进行的。"),
    "conv.arith.depthwise": (
        "Depthwise: output channel {o} reads exactly one input channel, channel {c}. Its value is one {kh}x{kw} "
        "window times one kernel, no sum over channels.",
        "深度卷积：输出通道 {o} 只读取一个输入通道，即通道 {c}。它的值就是一个 {kh}x{kw} 窗口乘以一个卷积核，"
        "不对通道求和。"),
    "conv.arith.window": (
        "Output cell ({row}, {col}) reads the window whose top-left input cell is (row·s − p, col·s − p) = ({r}, {c}) "
        "with stride s = {s}, padding p = {p}; the kernel taps are d = {d} cells apart (dilation).",
        "输出格子 ({row}, {col}) 读取的窗口左上角在输入的 (row·s − p, col·s − p) = ({r}, {c})，"
        "步长 s = {s}、填充 p = {p}；卷积核的各个抽头相隔 d = {d} 格（空洞/膨胀）。"),
    "conv.arith.many": (
        "{n} input channels contribute. The bar chart shows every partial sum Σ_(u,v) w·x of one channel; the {k} "
        "largest (by size) carry {share:.0%} of all |partial sums|. Only those are offered for the element-wise "
        "detail below.",
        "共有 {n} 个输入通道参与。柱状图显示每个通道的部分和 Σ_(u,v) w·x；绝对值最大的 {k} 个占全部 |部分和| 的 "
        "{share:.0%}。下面只提供这几个通道的逐元素细节。"),
    "conv.arith.top_table": ("Largest partial sums", "最大的部分和"),
    "conv.arith.col.channel": ("input channel", "输入通道"),
    "conv.arith.col.sum": ("partial sum", "部分和"),
    "conv.arith.col.cum": ("running total", "累计和"),
    "conv.arith.match": (
        "This equals the value the model really computed: conv output {recorded:.5f}{post_part} "
        "(largest difference {err:.1e}, float rounding).",
        "与模型真实计算出的值相同：卷积输出 {recorded:.5f}{post_part}（最大差异 {err:.1e}，浮点舍入误差）。"),
    "conv.arith.match_post": (", after the activation {value:.5f}", "，激活后 {value:.5f}"),
    "conv.arith.mismatch": (
        "The hand computation ({pre:.5f}) differs from the recorded value ({recorded:.5f}) by {err:.1e}.",
        "手算结果（{pre:.5f}）与记录值（{recorded:.5f}）相差 {err:.1e}。"),
    "conv.arith.why": (
        "With C input channels the kernel of one output channel is C × k × k numbers: one k×k slice per input "
        "channel. Each slice is multiplied with the same window of its own channel, and **all** C·k·k products "
        "are added, plus one bias per output channel. So one output value mixes every input channel in a small "
        "neighbourhood: z[o, i, j] = b[o] + Σ_c Σ_u Σ_v w[o, c, u, v] · x[c, i + u − p, j + v − p].",
        "有 C 个输入通道时，一个输出通道的卷积核由 C × k × k"
        " 个数组成：每个输入通道一片 k×k。每一片与自己通道的同一个窗口"
        "相乘，然后把**全部** C·k·k 个乘积相加，再加上该输出"
        "通道的一个偏置。所以一个输出值混合了所有输入通道在一个小邻域里"
        "的信息：z[o, i, j] = b[o] + Σ_c Σ_u Σ_v w[o, c, u, v] · x[c, i + u − p, j + v − p]。"),
    # padding & stride
    "conv.pad.title": ("Padding and stride", "填充与步长"),
    "conv.pad.intro": (
        "A k×k window slides over an n×n input. **Padding** p adds p rings of zeros around it so the edges are "
        "not lost and the size can be kept; **stride** s is how many cells the window jumps each step. Here the "
        "kernel is all ones, so each output is the sum of its window.",
        "k×k 的窗口在 n×n 的输入上滑动。**填充（padding）** p 在四周补 p 圈 0，防止边缘信息丢失、也能保持尺寸；"
        "**步长（stride）** s 是窗口每次移动的格数。这里卷积核全为 1，所以每个输出就是窗口内数值之和。"),
    "conv.pad.n": ("input size n", "输入尺寸 n"),
    "conv.pad.k": ("kernel size k", "卷积核大小 k"),
    "conv.pad.p": ("padding p", "填充 p"),
    "conv.pad.s": ("stride s", "步长 s"),
    "conv.pad.formula": (
        "out = ⌊(n + 2p − k) / s⌋ + 1 = ⌊({n} + 2·{p} − {k}) / {s}⌋ + 1 = ⌊{num} / {s}⌋ + 1 = {q} + 1 = "
        "**{out}**, so the output is {out}×{out}.",
        "out = ⌊(n + 2p − k) / s⌋ + 1 = ⌊({n} + 2·{p} − {k}) / {s}⌋ + 1 = ⌊{num} / {s}⌋ + 1 = {q} + 1 = "
        "**{out}**，所以输出为 {out}×{out}。"),
    "conv.pad.unused": (
        "{r} column(s) at the right and row(s) at the bottom are never reached: (n + 2p − k) is not a multiple of s, "
        "which is why the formula rounds down.",
        "最右边 {r} 列和最下边 {r} 行永远不会被窗口覆盖：(n + 2p − k) 不是 s 的整数倍，所以公式要向下取整。"),
    "conv.pad.too_small": (
        "The kernel ({k}x{k}) is larger than the padded input ({m}x{m}): there is no position for it. "
        "Increase the padding or the input size.",
        "卷积核（{k}x{k}）比填充后的输入（{m}x{m}）还大，放不下。请增大填充或输入尺寸。"),
    "conv.pad.step": ("Step through the window positions", "逐步移动窗口"),
    "conv.pad.grid": ("padded input {m}×{m} (grey = padding zeros)", "填充后的输入 {m}×{m}（灰色 = 填充的 0）"),
    "conv.pad.out": ("output {out}×{out}", "输出 {out}×{out}"),
    "conv.pad.where": (
        "Step {i} of {total}: the window covers rows {r0}–{r1} and columns {c0}–{c1} of the padded grid; the "
        "sum of its values is {value:g} → output cell ({oi}, {oj}).",
        "第 {i} 步（共 {total} 步）：窗口覆盖填充网格的第 {r0}–{r1} 行、第 {c0}–{c1} 列；其中数值之和为 {value:g}"
        " → 输出格子 ({oi}, {oj})。"),
    "conv.pad.model": (
        "In this model every conv layer uses k = 3, p = 1, s = 1: out = ⌊(28 + 2 − 3)/1⌋ + 1 = 28, the size is "
        "kept; the pooling layers halve it.",
        "本模型的每个卷积层都用 k = 3、p = 1、s = 1：out = ⌊(2"
        "8 + 2 − 3)/1⌋ + 1 = 28，尺寸保持不变；池化层再把它减半。"),
    # playground
    "conv.play.intro": (
        "Apply a hand-made kernel to your image: the same operation as a conv layer, but with weights you choose "
        "instead of learned ones.",
        "把一个手工设计的卷积核作用在你的图片上：与卷积层的运算相同，只是权重由你来定，而不是学出来的。"),
    "conv.play.kernel": ("Kernel", "卷积核"),
    "conv.play.k.course_1d": ("Course: 1-D [1, 0, −1] as a 1×3 kernel", "课程示例：一维 [1, 0, −1]（1×3 卷积核）"),
    "conv.play.k.course_2d": ("Course: [[1, −1, 0], [0, −1, 1], [1, 0, −1]]",
                              "课程示例：[[1, −1, 0], [0, −1, 1], [1, 0, −1]]"),
    "conv.play.k.sobel_x": ("Sobel x (vertical edges)", "Sobel x（竖直边缘）"),
    "conv.play.k.sobel_y": ("Sobel y (horizontal edges)", "Sobel y（水平边缘）"),
    "conv.play.k.laplacian": ("Laplacian (all edges)", "拉普拉斯（各方向边缘）"),
    "conv.play.k.box_blur": ("Box blur", "均值模糊"),
    "conv.play.k.sharpen": ("Sharpen", "锐化"),
    "conv.play.k.gaussian": ("Gaussian blur", "高斯模糊"),
    "conv.play.k.custom": ("My own 3×3 kernel (edit below)", "自定义 3×3 卷积核（在下面编辑）"),
    "conv.play.about.course_1d": (
        "y = left pixel − right pixel: zero on flat areas, large where the brightness changes from left to right.",
        "y = 左边像素 − 右边像素：平坦区域为 0，亮度左右变化处数值大。"),
    "conv.play.about.course_2d": (
        "The 3×3 example of the course notes: weights of both signs that sum to 0, so flat areas give 0 and only "
        "a particular diagonal pattern lights up.",
        "课程笔记中的 3×3 例子：正负权重之和为 0，所以平坦区域输出 0，只有特定的斜向图案会被突出。"),
    "conv.play.about.sobel_x": ("Right minus left, smoothed vertically: vertical edges light up (sign = direction).",
                                "右减左，并在竖直方向平滑：竖直边缘被突出（正负号表示方向）。"),
    "conv.play.about.sobel_y": ("Bottom minus top: horizontal edges light up.", "下减上：水平边缘被突出。"),
    "conv.play.about.laplacian": ("A second derivative: 4·centre minus its neighbours, with the sign flipped; "
                                  "edges in every direction.", "二阶导数：中心的 4 倍与四邻的差（取负号）；"
                                  "各个方向的边缘都会显示。"),
    "conv.play.about.box_blur": ("The average of the 3×3 neighbourhood: smooths noise and fine detail.",
                                 "3×3 邻域的平均值：抹平噪声和细节。"),
    "conv.play.about.sharpen": ("The pixel plus its difference from its neighbours: edges get crisper.",
                                "像素加上它与邻居的差：边缘更清晰。"),
    "conv.play.about.gaussian": ("A weighted average, centre counts most: a softer blur than the box.",
                                 "加权平均，中心权重最大：比均值模糊更柔和。"),
    "conv.play.about.custom": ("Your weights. Try making the sum 0 (edge detector) or 1 (keeps brightness).",
                               "你的权重。试着让权重之和为 0（边缘检测）或为 1（保持亮度）。"),
    "conv.play.cell": ("w[{u}, {v}]", "w[{u}, {v}]"),
    "conv.play.kernel_title": ("kernel", "卷积核"),
    "conv.play.small_title": ("on the {n}×{n} input", "作用于 {n}×{n} 输入"),
    "conv.play.rgb_note": (
        "A kernel here works on one channel, so the model's {n}×{n} colour crop is made gray first "
        "(Y = 0.299·R + 0.587·G + 0.114·B). A real first layer has one kernel slice per colour channel.",
        "这里的卷积核只作用于一个通道，所以先把模型的 {n}×{n} 彩色裁剪转成灰度"
        "（Y = 0.299·R + 0.587·G + 0.114·B）。真正的第一层对每个颜色通道各有一片卷积核。"),
    "conv.play.filtered": ("filtered", "滤波结果"),
    "conv.play.large_title": ("On a larger grayscale version of your image ({w}×{h})",
                              "作用于你图片的较大灰度版本（{w}×{h}）"),
    "conv.play.range": ("values from {vmin:.3f} to {vmax:.3f}", "数值范围 {vmin:.3f} 到 {vmax:.3f}"),
    "conv.play.scale_note": (
        "Pixels are scaled to 0…1; zero padding keeps the size. Red = positive, blue = negative, white = 0 "
        "(gray when no value is negative).",
        "像素缩放到 0…1；零填充保持尺寸不变。红色为正、蓝色为负、白色为 0（没有负值时用灰度显示）。"),
    "conv.play.original": ("grayscale input", "灰度输入"),
    # 1-D lab
    "conv.oned.intro": (
        "In 1-D the kernel slides along a row of numbers. The course's kernel [1, 0, −1] gives y[i] = s[i − 1] − "
        "s[i + 1]: 0 where the signal is flat, a peak where it jumps. **Convolution is filtering**: the kernel "
        "decides what passes (edges here, smooth trends with [1/3, 1/3, 1/3]).",
        "一维时，卷积核沿着一行数字滑动。课程中的卷积核 [1, 0, −1] 给出 y[i] = s[i − 1] − s[i + 1]：信号平坦处为 0，"
        "跳变处出现尖峰。**卷积的本质是滤波**：卷积核决定什么能通过（这"
        "里是边缘；用 [1/3, 1/3, 1/3] 则保留平滑的趋势）。"),
    "conv.oned.source": ("Signal", "信号"),
    "conv.oned.src.row": ("a row of the image", "图片的一行"),
    "conv.oned.src.step": ("step", "阶跃"),
    "conv.oned.src.ramp": ("ramp", "斜坡"),
    "conv.oned.src.pulse": ("pulse", "方波脉冲"),
    "conv.oned.src.noise": ("noisy step", "带噪声的阶跃"),
    "conv.oned.row": ("Row of the {n}×{n} input", "{n}×{n} 输入的第几行"),
    "conv.oned.kernel": ("Your kernel (numbers separated by commas, e.g. 1, 0, -1 or 1/3, 1/3, 1/3)",
                         "你的卷积核（用逗号分隔的数字，如 1, 0, -1 或 1/3, 1/3, 1/3）"),
    "conv.oned.signal_title": ("signal s", "信号 s"),
    "conv.oned.output_title": ("filtered y = s ⋆ w", "滤波结果 y = s ⋆ w"),
    "conv.oned.course_name": ("[1, 0, −1]", "[1, 0, −1]"),
    "conv.oned.user_name": ("your kernel {k}", "你的卷积核 {k}"),
    "conv.oned.edges": ("Detected edges (|y| ≥ half its maximum) at positions: {where}.",
                        "检测到的边缘（|y| ≥ 最大值的一半）位置：{where}。"),
    "conv.oned.no_edges": ("The signal is flat here: [1, 0, −1] gives 0 everywhere, no edge.",
                           "这里信号是平的：[1, 0, −1] 处处为 0，没有边缘。"),
    "conv.oned.error.empty": ("Type at least one number, e.g. 1, 0, -1.", "请至少输入一个数字，例如 1, 0, -1。"),
    "conv.oned.error.token": ("\"{token}\" is not a number. Use numbers like 1, -0.5 or 1/3, separated by commas.",
                              "“{token}”不是数字。请使用 1、-0.5 或 1/3 这样的数字，用逗号分隔。"),
    "conv.oned.error.zero_division": ("\"{token}\" divides by zero.", "“{token}”除以了零。"),
    "conv.oned.error.too_long": ("{n} numbers is too many: at most {max}.", "{n} 个数字太多了：最多 {max} 个。"),
    "conv.oned.error.range": ("The numbers must be finite and at most 1,000,000 in size.",
                              "数字必须是有限的，且绝对值不超过 1,000,000。"),
    "conv.oned.error.shape": ("The kernel must be a non-empty list of numbers.", "卷积核必须是非空的数字列表。"),
    "conv.oned.error.signal": ("Unknown signal.", "未知的信号。"),
    # deeper layers
    "conv.deep.intro": (
        "Each layer looks at a small window of the layer before it, so deeper layers see larger parts of the "
        "image. As in the course notes: the first convolution finds **edges**, the next combines edges into "
        "**textures**, deeper ones into **parts** of the object, until the classes can be told apart. Meanwhile "
        "the maps get smaller (pooling) and more numerous (more channels).",
        "每一层只看前一层的一个小窗口，所以越深的层看到图片中越大的"
        "区域。正如课程笔记所说：第一次卷积提取物体的**边缘**，"
        "下一次把边缘组合成**纹理**，更深的层组合成物体的**局部**，直到能分辨出具体的物体。同时特征图越来越小（池化），"
        "通道越来越多。"),
    "conv.deep.formula": (
        "Receptive field r (side of the input square one cell depends on) and jump j (input pixels between "
        "neighbouring cells), from each layer's kernel k and stride s: r_out = r_in + (k − 1)·j_in, "
        "j_out = j_in·s, starting with r = 1, j = 1 at the input.",
        "感受野 r（一个格子依赖的输入正方形的边长）和跳距 j（相"
        "邻两个格子在输入上相隔的像素数），由每层的卷积核大小 k 和"
        "步长 s 计算：r_out = r_in + (k − 1)·j_in，j_out = j_in·s，从输入处的 r = 1、j = 1 开始。"),
    "conv.deep.col.layer": ("layer", "层"),
    "conv.deep.col.kind": ("type", "类型"),
    "conv.deep.col.channels": ("channels", "通道数"),
    "conv.deep.col.size": ("size", "尺寸"),
    "conv.deep.col.k": ("kernel k", "核大小 k"),
    "conv.deep.col.s": ("stride s", "步长 s"),
    "conv.deep.col.j": ("jump j", "跳距 j"),
    "conv.deep.col.rf": ("receptive field", "感受野"),
    "conv.deep.whole": ("whole image", "整张图片"),
    "conv.deep.figure": ("What one centre cell of each layer sees of the {n}×{n} input",
                         "每一层中心的一个格子能看到 {n}×{n} 输入的多大范围"),
    "conv.deep.col.join": ("join", "汇合"),
    "conv.deep.join": ("branches join", "分支汇合"),
    "conv.deep.branches": (
        "This network is not a plain chain: the table follows the recorded data flow (each layer continues from "
        "the layer whose output it reads). Where branches join (rows marked \"branches join\": a residual "
        "addition, a squeeze-and-excitation scaling or a channel concatenation) it continues from the branch "
        "with the largest receptive field, an upper bound. A squeeze-and-excitation branch averages the whole "
        "map, so strictly every later cell depends a little on the whole image; the table shows the local "
        "field. Squares larger than the picture reach past its edges (into the padding).",
        "这个网络不是简单的链：表格沿着记录下来的数据流计算（每一层接着它所读取的那一层）。在分支汇合处"
        "（标为“分支汇合”的行：残差相加、挤压-激励（SE）缩放或通道拼接），沿感受野最大的分支继续，"
        "这是一个上界。挤压-激励分支会对整张特征图求平均，所以严格来说之后的每个格子都会稍微依赖整张"
        "图片；表格显示的是局部感受野。比图片还大的方块会超出图片边缘（落在填充上）。"),
    "conv.deep.rows_note": ("Only convolution and pooling layers are listed ({n} of the {total} layers).",
                            "只列出卷积层和池化层（共 {total} 层中的 {n} 层）。"),
    "conv.deep.why": (
        "Two stacked 3×3 convolutions see 5×5 pixels with fewer weights than one 5×5 kernel, and with an "
        "activation in between they can express more. Pooling doubles the jump, so every later 3×3 kernel spans "
        "twice as many input pixels. After the last pooling the classifier connects every cell, so each class "
        "score depends on the whole image.",
        "两个叠起来的 3×3 卷积能看到 5×5 的像素，但权重比一个 "
        "5×5 卷积核少，中间还有激活函数，表达能力更强。池化让跳距翻倍，"
        "所以之后每个 3×3 卷积核覆盖的输入像素也翻倍。最后一次"
        "池化之后，全连接分类器连接所有格子，因此每个类别的得分都依赖"
        "整张图片。"),
    "conv.error.position": ("That position is outside the feature map.", "这个位置在特征图之外。"),
    "conv.error.padding_mode": ("This layer uses {mode} padding; only zero padding is worked out here.",
                                "这一层使用 {mode} 填充；这里只演示零填充。"),
    "conv.error.not_conv": ("{layer} is not a convolution layer.", "{layer} 不是卷积层。"),
    "conv.error.activation": ("The activation {kind} is not worked out here.", "这里不演示激活函数 {kind}。"),
    "conv.error.norm": ("The {kind} after this layer keeps no running statistics (it normalizes by the batch), so "
                        "its output is not worked out here.",
                        "这一层之后的 {kind} 没有保存运行统计量（它按批次归一化），所以这里不演算它的输出。"),
    # the selected layer
    "conv.kind.standard": ("convolution", "卷积"),
    "conv.kind.depthwise": ("depthwise", "深度卷积"),
    "conv.kind.grouped": ("grouped", "分组卷积"),
    "conv.kind.pointwise": ("pointwise 1×1", "逐点 1×1"),
    "conv.kind.vector": ("1×1 on 1×1 (SE)", "1×1 作用于 1×1（SE）"),
    "conv.layer_option": ("{key} · {kh}×{kw} {kind}{stride}", "{key} · {kh}×{kw} {kind}{stride}"),
    "conv.layer_stride": (", stride {s}", "，步长 {s}"),
    "conv.geo.title": ("The selected layer in numbers", "所选层的数字"),
    "conv.geo.shapes": (
        "{layer} reads {cin} channels of {nh}×{nw} and writes {cout} channels of {oh}×{ow}: kernel {kh}×{kw}, "
        "stride {s}, padding {p}, dilation {d}, groups {g}.",
        "{layer} 读入 {cin} 个 {nh}×{nw} 的通道，输出 {cout} 个 {oh}×{ow} 的通道：卷积核 {kh}×{kw}，"
        "步长 {s}，填充 {p}，空洞 {d}，分组 {g}。"),
    "conv.geo.formula": (
        "{side}: out = ⌊(n + 2p − d·(k − 1) − 1)/s⌋ + 1 = ⌊({n} + 2·{p} − {d}·({k} − 1) − 1)/{s}⌋ + 1 = "
        "⌊{num}/{s}⌋ + 1 = **{out}**",
        "{side}：out = ⌊(n + 2p − d·(k − 1) − 1)/s⌋ + 1 = ⌊({n} + 2·{p} − {d}·({k} − 1) − 1)/{s}⌋ + 1 = "
        "⌊{num}/{s}⌋ + 1 = **{out}**"),
    "conv.geo.side.both": ("Output size (height and width)", "输出尺寸（高和宽）"),
    "conv.geo.side.h": ("Height", "高"),
    "conv.geo.side.w": ("Width", "宽"),
    "conv.geo.params": (
        "Parameters: C_out·(C_in/groups)·k_h·k_w = {co}·({ci}/{g})·{kh}·{kw} = {weights:,} weights{bias_part} = "
        "**{total:,}**.",
        "参数量：C_out·(C_in/groups)·k_h·k_w = {co}·({ci}/{g})·{kh}·{kw} = {weights:,} 个权重{bias_part} = "
        "**{total:,}**。"),
    "conv.geo.bias": (" + {co} biases", " + {co} 个偏置"),
    "conv.geo.no_bias": (" + 0 (no bias: the batch norm after it has its own shift β)",
                         " + 0（没有偏置：后面的批归一化有自己的平移 β）"),
    "conv.geo.no_bias_plain": (" + 0 (no bias)", " + 0（没有偏置）"),
    "conv.geo.check": ("The formula gives the recorded output {shape} and the layer really holds {params:,} "
                       "parameters.", "公式给出的正是记录下的输出 {shape}，而这一层确实有 {params:,} 个参数。"),
    "conv.geo.mismatch": ("The recorded output is {shape} and the layer holds {params:,} parameters: this differs "
                          "from the formula (e.g. asymmetric \"same\" padding).",
                          "记录下的输出是 {shape}，这一层有 {params:,} 个参数：与公式不同（例如不对称的 "
                          "“same” 填充）。"),
    "conv.geo.pointwise": (
        "A 1×1 (pointwise) convolution looks at no neighbours: at every position it mixes the {cin} input "
        "channels into {cout} outputs, a small fully connected layer applied at each pixel.",
        "1×1（逐点）卷积不看邻居：在每个位置把 {cin} 个输入通道混合成 {cout} 个输出，相当于在每个像素上做一次小的"
        "全连接。"),
    "conv.sep.title": ("Depthwise separable convolution", "深度可分离卷积"),
    "conv.sep.body": (
        "A standard k×k convolution does two jobs at once: it looks at neighbours **and** mixes channels. A "
        "depthwise separable convolution splits them: a **depthwise** k×k conv filters each channel on its own "
        "(groups = channels, one kernel per channel), then a **pointwise** 1×1 conv mixes the channels. "
        "MobileNet and EfficientNet are built from such pairs because they need far fewer weights and "
        "multiplications.",
        "标准的 k×k 卷积同时做两件事：看邻居**并且**混合通道。深度可分离卷积把它们分开：先用**深度（depthwise）**"
        " k×k 卷积对每个通道单独滤波（groups = 通道数，每个通道一个卷积核），再用**逐点（pointwise）** 1×1 卷积混合"
        "通道。MobileNet 和 EfficientNet 就是由这样的组合搭成的，因为所需的权重和乘法次数少得多。"),
    "conv.sep.numbers": (
        "Here: {dw} ({kh}×{kw} depthwise on {c} channels: {kh}·{kw}·{c} = {dw_w:,} weights) followed by {pw} "
        "(1×1, {c} → {c2}: {c}·{c2} = {pw_w:,}) hold {both:,} weights. One standard {kh}×{kw} conv from {c} to "
        "{c2} channels would need {kh}·{kw}·{c}·{c2} = {std:,}, **{ratio:.1f}×** as many.",
        "这里：{dw}（在 {c} 个通道上的 {kh}×{kw} 深度卷积：{kh}·{kw}·{c} = {dw_w:,} 个权重）后接 {pw}"
        "（1×1，{c} → {c2}：{c}·{c2} = {pw_w:,}），共 {both:,} 个权重。一个从 {c} 到 {c2} 通道的标准 {kh}×{kw} "
        "卷积需要 {kh}·{kw}·{c}·{c2} = {std:,} 个，是它的 **{ratio:.1f} 倍**。"),
    "conv.pad.model_layer": (
        "The layer picked above, {layer}, uses k = {k}, p = {p}, s = {s}: out = ⌊({n} + 2·{p} − {k})/{s}⌋ + 1 = {out}"
        " (its full formula, with dilation, is shown under the layer picker).",
        "上面选中的层 {layer} 使用 k = {k}、p = {p}、s = {s}：out = ⌊({n} + 2·{p} − {k})/{s}⌋ + 1 = {out}"
        "（含空洞的完整公式见层选择框下方）。"),
}
