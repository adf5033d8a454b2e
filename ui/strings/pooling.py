"""Strings of the Pooling page."""

STRINGS: dict[str, tuple[str, str]] = {
    "pool.title": ("Pooling", "池化"),
    "pool.intro": (
        "A pooling layer **down-samples** its input: it cuts each feature map into small windows and keeps one "
        "number per window, the **maximum** (max pooling) or the **average** (average pooling). It has no "
        "weights to learn. The maps get smaller, so later layers compute less, while the important features stay.",
        "池化层对输入进行**下采样**（down sampling）：把每张特征图切成小窗口，每个窗口只保留一个数——**最大值**"
        "（max pooling）或**平均值**（average pooling）。它没有需要学习的权重。特征图变小，后面的层计算量降低，"
        "同时保留重要的特征信息。"),
    "pool.no_pool": ("this model has no pooling layers.", "这个模型没有池化层。"),
    "pool.layer_help": ("The pooling layers of the current model, in the order the image passes through them.",
                        "当前模型的池化层，按图片经过的顺序排列。"),
    # maps
    "pool.maps.title": ("Before and after pooling", "池化前后"),
    "pool.maps.sizes": (
        "**{layer}** ({kind}, window {k}×{k}, stride {s}): each of the {c} maps goes from **{h_in}×{w_in} to "
        "{h_out}×{w_out}**, ⌊({h_in} − {k})/{s}⌋ + 1 = {h_out}: "
        "{n_in:,} numbers become {n_out:,} ({ratio:.0f}× fewer).",
        "**{layer}**（{kind}，窗口 {k}×{k}，步长 {s}）：{c} 张特征图每张都从 **{h_in}×{w_in} 变为 {h_out}×{w_out}**，"
        "⌊({h_in} − {k})/{s}⌋ + 1 = {h_out}：{n_in:,} 个数变成 {n_out:,} 个（少了 {ratio:.0f} 倍）。"),
    "pool.maps.sizes_general": (
        "**{layer}** ({kind}, window {k}×{k}, stride {s}, padding {p}, dilation {d}): each of the {c} maps goes "
        "from **{h_in}×{w_in} to {h_out}×{w_out}**. Per side, o = ⌊(n + 2p − d·(k − 1) − 1)/s⌋ + 1 (⌈…⌉ with "
        "ceil_mode): {rule}. Padded cells count as −∞, so they never win a max. {n_in:,} numbers become "
        "{n_out:,} ({ratio:.0f}× fewer).",
        "**{layer}**（{kind}，窗口 {k}×{k}，步长 {s}，填充 {p}，空洞 {d}）：{c} 张特征图每张都从 **{h_in}×{w_in} "
        "变为 {h_out}×{w_out}**。每个方向 o = ⌊(n + 2p − d·(k − 1) − 1)/s⌋ + 1（ceil_mode 时用 ⌈…⌉）：{rule}。"
        "填充的格子按 −∞ 计，永远不会成为最大值。{n_in:,} 个数变成 {n_out:,} 个（少了 {ratio:.0f} 倍）。"),
    "pool.maps.ceil": (
        "ceil_mode=True rounds up ({ceil} instead of ⌊…⌋ = {floor}), so a last, partial window at the edge still "
        "produces an output, unless it would start in the right padding ((o − 1)·s ≥ n + p: then o − 1).{same}",
        "ceil_mode=True 向上取整（得到 {ceil}，而 ⌊…⌋ = {floor}），所以边缘最后一个不完整的窗口也会产生输出，"
        "除非它的起点落在右侧填充里（(o − 1)·s ≥ n + p 时 o 减 1）。{same}"),
    "pool.maps.ceil_same": (" For this input size the division is exact, so both give the same size.",
                            "对这个输入尺寸，除法恰好整除，所以两者结果相同。"),
    "pool.maps.sizes_adaptive": (
        "**{layer}** ({kind}): **adaptive** pooling chooses its windows so that the output always has the size "
        "asked for, whatever the input size: each of the {c} maps goes from **{h_in}×{w_in} to {h_out}×{w_out}**. "
        "Window i covers cells ⌊i·n/o⌋ … ⌈(i + 1)·n/o⌉ − 1 (neighbouring windows may differ in size and "
        "share a cell): {rule}. {n_in:,} numbers become {n_out:,} ({ratio:.0f}× fewer).",
        "**{layer}**（{kind}）：**自适应**池化会自己选择窗口，使输出总是指定的尺寸，与输入尺寸无关：{c} 张特征图"
        "每张都从 **{h_in}×{w_in} 变为 {h_out}×{w_out}**。第 i 个窗口覆盖第 ⌊i·n/o⌋ … ⌈(i + 1)·n/o⌉ − 1 个格子"
        "（相邻窗口大小可能不同，也可能共享一个格子）：{rule}。"
        "{n_in:,} 个数变成 {n_out:,} 个（少了 {ratio:.0f} 倍）。"),
    "pool.win.title": ("One output cell and the input window it reads", "一个输出格子及其读取的输入窗口"),
    "pool.win.intro": (
        "Choose a channel (strongest first) and an output cell (by default the channel's largest output): the "
        "heat map shows exactly the input cells its window reads, with their row and column numbers.",
        "选择一个通道（最强的在前）和一个输出格子（默认是该通道最大的输出）：热力图正好显示它的窗口读取的输入格子，"
        "并标出行号和列号。"),
    "pool.win.channel_help": ("The channels of the page shown above, strongest first.",
                              "上面所显示那一页的通道，最强的在前。"),
    "pool.win.row": ("output row i", "输出行 i"),
    "pool.win.col": ("output column j", "输出列 j"),
    "pool.win.fig": ("ch {c}, output ({i}, {j}) reads rows {r0}–{r1}, cols {c0}–{c1}",
                     "通道 {c}，输出 ({i}, {j}) 读取第 {r0}–{r1} 行、第 {c0}–{c1} 列"),
    "pool.win.max": (
        "The window holds {n} real cells; the largest is **{value:.4g}** at input (row {r}, col {c}) (ringed). "
        "The layer recorded **{recorded:.4g}** there (difference {err:.1e}).",
        "窗口里有 {n} 个真实格子；最大的是 **{value:.4g}**，位于输入的（第 {r} 行，第 {c} 列）（圈出）。"
        "该层在这里记录的输出是 **{recorded:.4g}**（差异 {err:.1e}）。"),
    "pool.win.avg": (
        "The window holds {n} real cells; their sum {total:.4g} divided by {div:g} is **{value:.4g}**. The layer "
        "recorded **{recorded:.4g}** there (difference {err:.1e}).",
        "窗口里有 {n} 个真实格子；它们的和 {total:.4g} 除以 {div:g} 得 **{value:.4g}**。该层在这里记录的输出是 "
        "**{recorded:.4g}**（差异 {err:.1e}）。"),
    "pool.win.padded": ("{n} window position(s) fall in the padding or past the edge and are not read.",
                        "有 {n} 个窗口位置落在填充区或超出边缘，不会被读取。"),
    "pool.win.adaptive_rows": ("Rows read by each output row i (n = {n}, o = {o}): {rows}",
                               "每个输出行 i 读取的输入行（n = {n}，o = {o}）：{rows}"),
    "pool.win.identity": (
        "For a 224×224 image {layer} already receives {n}×{n} maps, so every window is a single cell and this "
        "layer passes its input through unchanged; it only matters for other input sizes.",
        "对于 224×224 的图片，{layer} 收到的已经是 {n}×{n} 的特征图，所以每个窗口只有一个格子，这一层原样输出；"
        "只有输入尺寸不同时它才起作用。"),
    "pool.win.picks_fig": ("ch {c}: how many windows picked each input cell", "通道 {c}：每个输入格子被多少个窗口选中"),
    "pool.win.picks": (
        "{picked:.0%} of the input cells are the maximum of some window (and receive gradient); overlapping "
        "windows pick one cell up to {most} time(s).",
        "{picked:.0%} 的输入格子是某个窗口的最大值（因此会得到梯度）；窗口重叠时一个格子最多被选中 {most} 次。"),
    "pool.win.no_argmax": (
        "average pooling has no winning cell: every cell of a window counts equally, so there are no max "
        "positions to show.",
        "平均池化没有“胜出”的格子：窗口里每个格子权重相同，所以没有最大值位置可显示。"),
    "pool.maps.caption_global": (
        "Global pooling: every map becomes a single number (its average or maximum), one per channel, whatever "
        "the map's size. Networks use it before the classifier, and squeeze-and-excitation blocks use it to "
        "summarise each channel before re-weighting it.",
        "全局池化：无论特征图多大，每张图都变成一个数（平均值或最大值），每个通道一个。网络在分类器之前使用它；"
        "挤压-激励（SE）模块也用它先概括每个通道，再给通道重新加权。"),
    "pool.maps.range_layer": ("same for input and output", "输入与输出相同"),
    "pool.maps.in_title": ("input {shape}", "输入 {shape}"),
    "pool.maps.out_title": ("output {shape}", "输出 {shape}"),
    "pool.maps.fixed": ("Fixed range", "固定范围"),
    "pool.maps.caption": (
        "Channel by channel, the output looks like a coarser copy of the input: the bright (strong) responses "
        "survive. As the course notes say, we still recognise a person in a shrunken photo because its core "
        "features are still there.",
        "逐个通道看，输出就像输入的粗略版本：亮的（强的）响应被保留下来。正如课程笔记所说，对一张人物图像下采样（缩小）"
        "之后，我们还能认出这个人物，因为图像的核心特征还在。"),
    # numeric
    "pool.num.title": ("The numbers: a 4×4 window of a real feature map", "具体数值：真实特征图中的一个 4×4 窗口"),
    "pool.num.intro": (
        "Course notes: \"a 4X4 feature map becomes a smaller 2*2 matrix after pooling\". Here is a real 4×4 piece "
        "of the layer's input. Each coloured dotted square is one pooling window; the orange rings mark the "
        "maxima that max pooling keeps.",
        "课程笔记：“原来 4X4 的 feature map 经过池化操作之后"
        "就变成了更小的 2*2 的矩阵”。这里是这一层输入中真实的一块 4×4。"
        "每个彩色虚线方框是一个池化窗口；橙色圈标出 max pooling 保留的最大值。"),
    "pool.num.channel": ("Channel", "通道"),
    "pool.num.not_simple": (
        "the 4×4 exploration draws plain k×k windows without padding, ceil_mode or adaptive windows; the window "
        "view above shows this layer's own windows.",
        "4×4 探索只演示没有填充、ceil_mode 或自适应窗口的普通 k×k 窗口；上面的窗口视图展示的是本层自己的窗口。"),
    "pool.num.top": ("window row", "窗口起始行"),
    "pool.num.left": ("window column", "窗口起始列"),
    "pool.num.k": ("pool size k", "池化窗口 k"),
    "pool.num.s": ("stride s", "步长 s"),
    "pool.num.window_title": ("input ch {c} · rows {r0}–{r1}, cols {c0}–{c1}",
                              "输入通道 {c} · 第 {r0}–{r1} 行，第 {c0}–{c1} 列"),
    "pool.num.max_title": ("max pooling {k}×{k}, stride {s}", "最大池化 {k}×{k}，步长 {s}"),
    "pool.num.avg_title": ("average pooling", "平均池化"),
    "pool.num.first": (
        "First window: max = **{mx:.4g}**, average = ({terms}) / {kk} = **{avg:.4g}**.",
        "第一个窗口：最大值 = **{mx:.4g}**，平均值 = ({terms}) / {kk} = **{avg:.4g}**。"),
    "pool.num.matches": ("These {kind} pooling outputs equal the layer's recorded output at the same cells "
                         "(largest difference {err:.1e}).",
                         "这些{kind}池化的输出与该层记录的输出在相同位置完全一致（最大差异 {err:.1e}）。"),
    "pool.num.kind.max": ("max", "最大"),
    "pool.num.kind.avg": ("average", "平均"),
    "pool.num.other_setup": (
        "With this k and s (or this window position off the layer's stride grid) the numbers differ from what the "
        "layer computes (k = {k}, s = {s}): you are exploring other settings. Overlapping windows (s < k) can "
        "pick the same maximum twice.",
        "在这个 k 和 s 下（或窗口起点不在该层的步长网格上），结果与该层"
        "的实际计算（k = {k}，s = {s}）不同：你在探索其他设置。"
        "窗口重叠时（s < k），同一个最大值可能被选中两次。"),
    "pool.num.too_small": ("The window k = {k} does not fit in the 4×4 piece.", "窗口 k = {k} 放不进这个 4×4 小块。"),
    # backward
    "pool.back.title": ("Backward: where the gradient goes", "反向传播：梯度流向哪里"),
    "pool.back.intro": (
        "In training, the gradient dL/dy arrives at the pooling output and must be passed to the input. Max "
        "pooling has no weights: it sends each value **only to the input that was the maximum**; the other "
        "inputs get 0. Average pooling spreads each value **evenly**, 1/k² = {share:g} to each of the k² inputs. "
        "The gradient shown is that of the predicted class's score, from the shared trace.",
        "训练时，梯度 dL/dy 到达池化层的输出，需要传回输入。最大池"
        "化没有权重：它把每个梯度值**只传给当时是最大值的那个输入**，"
        "其余输入得到 0。平均池化则把每个值**平均分配**，k² 个输入各"
        "得 1/k² = {share:g}。这里的梯度是预测类别得分的梯度，"
        "来自共享的追踪结果。"),
    "pool.back.intro_adaptive": (
        "In training, the gradient dL/dy arrives at the pooling output and must be passed to the input. Adaptive "
        "pooling routes it like ordinary pooling, but with its own windows: max sends each value to the window's "
        "maximum, average spreads it evenly over the window's cells (1/size each). The gradient shown is that of "
        "the predicted class's score, from the shared trace.",
        "训练时，梯度 dL/dy 到达池化层的输出，需要传回输入。自适应池化的传法与普通池化相同，只是用它自己的窗口："
        "最大池化把每个值传给窗口的最大值，平均池化把它平均分给窗口里的格子（每个 1/窗口大小）。这里的梯度是预测类别"
        "得分的梯度，来自共享的追踪结果。"),
    "pool.back.no_argmax": (
        "argmax routing does not apply to average pooling: it spreads each gradient value evenly over its window.",
        "argmax 路由不适用于平均池化：它把每个梯度值平均分配给窗口中的格子。"),
    "pool.back.no_grad": ("the trace has no gradient at this layer.", "追踪结果在这一层没有梯度。"),
    "pool.back.in_title": ("input x · ch {c}", "输入 x · 通道 {c}"),
    "pool.back.gy_title": ("dL/dy {h}×{w}", "dL/dy {h}×{w}"),
    "pool.back.gx_title": ("dL/dx ({kind}, this layer)", "dL/dx（{kind}，本层）"),
    "pool.back.other_title": ("dL/dx if it were {kind}", "dL/dx（若改为{kind}）"),
    "pool.back.kind.max": ("max", "最大池化"),
    "pool.back.kind.avg": ("average", "平均池化"),
    "pool.back.check": (
        "Routed by the rule above and computed by PyTorch's autograd (F.{fn} on a copy of the recorded input, "
        "backward with the traced dL/dy): largest difference **{err:.1e}**. {frac:.0%} of the input cells receive "
        "a non-zero gradient.",
        "按上面的规则分配的结果与 PyTorch 自动求导的结果（对记录的输入副本做 F.{fn}，再用追踪得到的 dL/dy 反向传播）"
        "最大差异为 **{err:.1e}**。{frac:.0%} 的输入格子得到非零梯度。"),
    "pool.back.ties": (
        "Where a window holds several equal maxima (often four zeros after a ReLU), PyTorch gives the gradient "
        "to the first one in reading order; so does the rule here.",
        "当一个窗口里有多个相等的最大值（ReLU 之后常见四个 0）时，"
        "PyTorch 把梯度交给按阅读顺序的第一个；这里的规则也一样。"),
    # shift
    "pool.shift.title": ("Small shifts: what pooling tolerates", "小平移：池化能容忍什么"),
    "pool.shift.intro": (
        "Move the input image by a few pixels and measure how much things change, relative to the unshifted "
        "image: ‖Δ‖ / ‖·‖ of the map **before** this pooling layer, of the map **after** it, and the probability "
        "of the class predicted for the original image.",
        "把输入图片移动几个像素，测量各部分相对于原图变化了多少：本池化层**之前**的特征图、**之后**的特征图的相对变化"
        " ‖Δ‖ / ‖·‖，以及原图预测类别的概率。"),
    "pool.shift.imagenet": (
        "For an ImageNet model this runs {n} images through the network in one batch (the photo and its shifted "
        "copies); the uncovered border gets the data set's mean colour.",
        "对 ImageNet 模型，这会把 {n} 张图片（原图及其平移后的副本）作为一个批次送入网络；露出的边缘用数据集的平均"
        "颜色填充。"),
    "pool.shift.direction": ("Direction", "方向"),
    "pool.shift.dir.right": ("right", "向右"),
    "pool.shift.dir.down": ("down", "向下"),
    "pool.shift.dir.diag": ("diagonal", "斜向"),
    "pool.shift.max": ("Largest shift (pixels)", "最大平移量（像素）"),
    "pool.shift.pre": ("before pooling", "池化前"),
    "pool.shift.post": ("after pooling", "池化后"),
    "pool.shift.prob": ("P({label})", "P（{label}）"),
    "pool.shift.x": ("shift (pixels)", "平移（像素）"),
    "pool.shift.y": ("relative change", "相对变化"),
    "pool.shift.y2": ("probability", "概率"),
    "pool.shift.col.shift": ("shift", "平移"),
    "pool.shift.col.pre": ("change before pooling", "池化前变化"),
    "pool.shift.col.post": ("change after pooling", "池化后变化"),
    "pool.shift.col.pred": ("prediction", "预测"),
    "pool.shift.col.prob": ("P(original class)", "P（原预测类别）"),
    "pool.shift.summary": (
        "Shift 1: the map changes by {pre:.0%} before pooling and by {post:.0%} after it.",
        "平移 1 像素：池化前特征图变化 {pre:.0%}，池化后变化 {post:.0%}。"),
    "pool.shift.why": (
        "Max pooling keeps the strongest response of each window wherever it lies inside the window, so a move "
        "that stays inside the window changes little: a small **translation invariance**. It is only partial: "
        "a shift by the stride moves the whole pooled map by one cell, and several poolings in a row tolerate "
        "more. The course notes call the related idea **scale invariance**: after down-sampling a photo we can "
        "still recognise it, because the core features survive. A network trained on centred images, like this "
        "one, can still change its mind after a shift of a few pixels.",
        "最大池化保留每个窗口中最强的响应，无论它在窗口里的哪个位"
        "置，所以只要移动后仍在同一窗口内，结果变化就不大：这是一种"
        "小范围的**平移不变性**。它只是部分的：平移量等于步长时，"
        "整个池化后的特征图会移动一格；连续多次池化能容忍更大的移动。"
        "课程笔记里相关的概念叫**尺度不变性**：图像下采样之后我们"
        "仍能认出它，因为核心特征还在。像本模型这样在居中图片上训练的"
        "网络，平移几个像素之后仍可能改变判断。"),
}
