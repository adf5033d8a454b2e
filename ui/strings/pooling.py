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
    "pool.unsupported": ("this pooling layer uses padding, dilation or ceil mode, which this page does not draw.",
                         "这个池化层使用了填充、空洞或向上取整模式，本页不演示。"),
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
    "pool.num.channel_help": ("Channels are sorted with the most active first.", "通道按激活强度从大到小排列。"),
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
