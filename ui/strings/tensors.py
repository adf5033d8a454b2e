"""Strings of the Tensors & shapes page (keys "tens.")."""

STRINGS: dict[str, tuple[str, str]] = {
    "tens.title": ("Tensors & shapes", "张量与形状"),
    "tens.intro": (
        "A tensor is a box of numbers with axes. A grayscale image batch is a tensor of shape **[N, C, H, W]**: "
        "N images, C channels, H rows, W columns. Every layer takes such a tensor and returns another one; this "
        "page follows the shapes, lets you index tensors yourself, and shows the code that builds the model and "
        "the preprocessing.",
        "张量就是带有若干个轴（维度）的一组数。一批灰度图片是形状为 **[N, C, H, W]** 的张量：N 张图、C 个通道、H 行、"
        "W 列。每一层接收这样一个张量，再输出另一个张量。本页跟踪各层的形状，让你亲手对张量做索引，并展示构建模型和预处"
        "理的代码。"),
    # scores example
    "tens.scores.header": ("Indexing: the course's 2×3×4 scores tensor", "索引：课程里 2×3×4 的成绩张量"),
    "tens.scores.intro": (
        "Axis 0 is the **student** (2), axis 1 the **subject** (math, English, PE), axis 2 the **exam** (4). "
        "Type an index below: the chosen numbers light up, and the table says what each index did to which axis.",
        "第一个维度（axis 0）表示**学生**（2 个），第二个维度（axis 1）表示**科目**（数学、英语、体育），第三个维度"
        "（axis 2）表示**考试次数**（4 次）。在下面输入索引：被选中的数字会高亮，表格说明每个索引作用在哪个轴上、做了什"
        "么。"),
    "tens.scores.input": ("Index into A", "对 A 做索引"),
    "tens.scores.fig": ("A · [2, 3, 4] · selected by {expr}", "A · [2, 3, 4] · 由 {expr} 选中"),
    "tens.scores.notes_title": ("The notes' two examples, checked", "核对笔记里的两个例子"),
    "tens.scores.notes": (
        "* `A[1][0][:]` first takes student 2 (`A[1]`, shape [3, 4]), then his math row (`[0]`, shape [4]), then "
        "all four exams (`[:]`): **{a1}**. (The comment in the notes says `tensor([85, 88, 87, 90])`, but that is "
        "`A[1][1]`, student 2's English scores: {wrong}.)\n"
        "* `A[:, 1, 1]`: every student (`:`), subject 1 = English, exam 1 = the second exam: **{a2}**, shape [2]. "
        "So it is \"all students' English score in the second exam\", not all their scores.\n"
        "* `A[1][0]` and `A[1, 0]` select the same numbers: the first indexes step by step, the second in one go.",
        "* `A[1][0][:]` 先取第 2 个学生（`A[1]`，形状 [3, 4]），再取他的数学那一行（`[0]`，形状 [4]），最后取全部 4 次"
        "考试（`[:]`）：**{a1}**。（笔记中的注释写的是 `tensor([85, 88, 87, 90])`，但那其实是 `A[1][1]`，即第 2 个学生"
        "的"
        "英语成绩：{wrong}。）\n"
        "* `A[:, 1, 1]`：所有学生（`:`）、科目 1 = 英语、考试 1 = 第二次考试：**{a2}**，形状 [2]。所以它是“所有学生"
        "第二次英语考试的成绩”，而不是所有成绩。\n"
        "* `A[1][0]` 与 `A[1, 0]` 选中的数相同：前者一步一步索引，后者一次完成。"),
    "tens.input_help": (
        "Integers (negative counts from the end), slices start:stop:step, ... for \"all remaining axes\" and None "
        "for a new axis of size 1. Nothing else is accepted; the text is parsed, never run.",
        "可以用整数（负数表示从末尾数起）、切片 start:stop:step、表示“其余所有轴”的 ...，以及表示新增一个大小为 1 的轴"
        "的 "
        "None。其他写法一律不接受；输入只会被解析，绝不会被执行。"),
    "tens.student_n": ("student {n}", "学生 {n}"),
    "tens.subject.math": ("math", "数学"),
    "tens.subject.english": ("English", "英语"),
    "tens.subject.pe": ("PE", "体育"),
    "tens.axis.student": ("student", "学生"),
    "tens.axis.subject": ("subject", "科目"),
    "tens.axis.exam": ("exam", "考试"),
    "tens.axis.new": ("new axis", "新轴"),
    "tens.nchw.N": ("N (image)", "N（图片）"),
    "tens.nchw.C": ("C (channel)", "C（通道）"),
    "tens.nchw.H": ("H (row)", "H（行）"),
    "tens.nchw.W": ("W (column)", "W（列）"),
    "tens.col.bracket": ("[…] #", "第几个 […]"),
    "tens.col.item": ("index", "索引"),
    "tens.col.axis": ("axis of the original", "作用于原张量的轴"),
    "tens.col.what": ("what it does", "作用"),
    "tens.col.size": ("axis size", "轴长度"),
    "tens.gone": ("removed", "去掉"),
    "tens.action.pick": ("picks position {pos}; the axis disappears", "取第 {pos} 个位置；这个轴消失"),
    "tens.action.slice": ("keeps {n} position(s): {positions}", "保留 {n} 个位置：{positions}"),
    "tens.action.new": ("inserts a new axis of size 1", "插入一个大小为 1 的新轴"),
    "tens.action.all": ("covered by ...: keeps all {n}", "由 ... 覆盖：全部 {n} 个保留"),
    "tens.result": ("`{expr}` → shape **{shape}**, {count} of {total} elements selected.",
                    "`{expr}` → 形状 **{shape}**，选中了 {total} 个元素中的 {count} 个。"),
    # errors of the index parser
    "tens.err.empty": ("Type an index, e.g. x[0, 1].", "请输入一个索引，例如 x[0, 1]。"),
    "tens.err.too_long": ("The index is {length} characters long; at most {limit} are allowed.",
                          "索引长度为 {length} 个字符，最多允许 {limit} 个。"),
    "tens.err.syntax": ("This is not a valid index expression ({detail}).", "这不是有效的索引表达式（{detail}）。"),
    "tens.err.not_allowed": ("Only integers, slices (a:b:c), ... and None may appear in an index, not {what}.",
                             "索引里只能出现整数、切片（a:b:c）、... 和 None，不能出现 {what}。"),
    "tens.err.variable": ("Replace the letter '{name}' with a number, e.g. x[0, 1, 5, 7].",
                          "请把字母“{name}”换成数字，例如 x[0, 1, 5, 7]。"),
    "tens.err.unknown_name": ("Unknown tensor '{name}'; use {allowed}.", "未知的张量“{name}”；请使用 {allowed}。"),
    "tens.err.no_subscript": ("Add an index in square brackets, e.g. {name}[0].", "请在方括号里写上索引，例如 {name}[0]"
                                                                                  "。"),
    "tens.err.too_many_subscripts": ("At most {limit} [...] in a row are allowed.", "最多允许连续 {limit} 个 [...]。"),
    "tens.err.too_many_items": ("At most {limit} items in one [...] are allowed.", "一个 [...] 里最多允许 {limit} 项。"
                                                                                   ""),
    "tens.err.too_big": ("The number {value} is too large (at most {limit} in absolute value).",
                         "数字 {value} 太大了（绝对值最多为 {limit}）。"),
    "tens.err.step_zero": ("A slice step cannot be zero.", "切片的步长不能为 0。"),
    "tens.err.step_negative": ("PyTorch does not allow negative slice steps ({step}); use torch.flip instead.",
                               "PyTorch 不允许负的切片步长（{step}）；请改用 torch.flip。"),
    "tens.err.two_ellipsis": ("Only one ... may appear in one [...].", "一个 [...] 里只能出现一个 ...。"),
    "tens.err.too_many_indices": ("Too many indices: the tensor has {ndim} axes at this point but {count} were given.",
                                  "索引太多：此时张量只有 {ndim} 个轴，却给了 {count} 个索引。"),
    "tens.err.out_of_range": ("Index {index} is out of range for axis {axis} of size {size} (valid: {low} to {high}).",
                              "索引 {index} 超出了轴 {axis} 的范围（长度 {size}，有效范围 {low} 到 {high}）。"),
    # nn.Sequential(*layers)
    "tens.star.header": ("nn.Sequential(*layers): what the star means", "nn.Sequential(*layers)：星号是什么意思"),
    "tens.star.intro": (
        "`nn.Sequential` takes the layers as separate arguments. The star **unpacks** a list into those arguments: "
        "`f(*[a, b, c])` is the same call as `f(a, b, c)`. Without it, Sequential receives one argument, a list, "
        "which is not a layer.",
        "`nn.Sequential` 要求把各层作为一个个单独的参数传进去。星号把列表**拆包**成这些参数：`f(*[a, b, c])` 与 "
        "`f(a, b, c)` 是同一个调用。不加星号时，Sequential 只收到一个参数——一个列表，而列表不是网络层。"),
    "tens.star.ok": ("With the star: a block of 3 layers; on a {shape_in} input it returns {shape_out}.",
                     "加星号：得到 3 层的模块；输入 {shape_in} 时输出 {shape_out}。"),
    "tens.star.error": ("Without the star, PyTorch refuses:", "不加星号，PyTorch 会报错："),
    # embeddings
    "tens.emb.header": ("Images versus embeddings", "图像与 embedding"),
    "tens.emb.intro": (
        "Words or item ids are **discrete tokens**: the number 2 for \"bag\" says nothing about bags. An "
        "`nn.Embedding` is a learned table with one row per token; looking a token up returns its row, a vector "
        "the network can compute with. An embedding is a tensor: the table has shape [V, D] and a sentence of T "
        "tokens becomes [T, D].",
        "单词或物品编号是**离散的符号**：用 2 表示“包”，这个数字本身不包含任何关于包的信息。`nn.Embedding` 是一张可学习"
        "的表，"
        "每个符号对应一行；查表就得到这一行，即网络可以拿来计算的向量。embedding 就是张量：表的形状是 [V, D]，"
        "T 个符号组成的句子会变成 [T, D]。"),
    "tens.emb.table": ("nn.Embedding table W · [{v}, {d}] (looked-up rows outlined)",
                       "nn.Embedding 的表 W · [{v}, {d}]（被查到的行加了框）"),
    "tens.emb.onehot": ("The lookup equals one_hot(ids) @ W (largest difference {diff:.1e}): an embedding is a "
                        "linear layer on one-hot inputs.",
                        "查表结果等于 one_hot(ids) @ W（最大差 {diff:.1e}）：embedding 相当于作用在 one-hot 输入上的线"
                        "性层。"),
    "tens.emb.why_title": ("Why does an image not need an embedding? Is an embedding a tensor?",
                           "图像为什么不需要转换成 embedding？embedding 是张量吗？"),
    "tens.emb.why": (
        "An image is **already** a tensor of meaningful numbers: pixel brightness is a measurement, and nearby "
        "values mean similar brightness, so the convolution can work on it directly. A token id is only a name, "
        "so it must first be turned into a vector. The CNN then *produces* its own vector for the image: the "
        "flattened features that enter the last Linear layer (below). That vector plays the role of an image "
        "embedding: similar images get similar vectors. And yes, an embedding is a tensor: a vector [D] for one "
        "token, [T, D] for a sequence, [N, T, D] for a batch.",
        "图像**本来**就是由有意义的数值组成的张量：像素亮度是测量值，数值相近就表示亮度相近，所以卷积可以直接处理它。"
        "而符号编号只是一个名字，必须先变成向量。之后 CNN 会为图像*生成*它自己的向量：进入最后一个全连接层之前、"
        "展平后的特征（见下文）。这个向量就起到图像 embedding 的作用：相似的图片得到相似的向量。embedding 当然是张量："
        "一个符号是向量 [D]，一个序列是 [T, D]，一批序列是 [N, T, D]。"),
    # shapes through the network
    "tens.flow.header": ("The image as a tensor, layer by layer", "逐层看图像张量"),
    "tens.flow.intro": (
        "Your image enters as {shape} = [N, C, H, W]. Each row below is predicted from the layer's own settings "
        "(kernel, stride, padding, …) and checked against the shape the forward pass really produced.",
        "你的图片以 {shape} = [N, C, H, W] 的形状进入网络。下表每一行都根据该层自身的设置（卷积核、步长、填充……）"
        "推算出输出形状，并与前向传播真实得到的形状核对。"),
    "tens.flow.fig": ("Number of values per layer · {model}", "每层的数值个数 · {model}"),
    "tens.flow.elements": ("values (log scale)", "数值个数（对数坐标）"),
    "tens.flow.check": ("{ok} of {n} layers: the formula gives exactly the traced shape.",
                        "{n} 层中有 {ok} 层：公式推算的形状与实际形状完全一致。"),
    "tens.col.layer": ("layer", "层"),
    "tens.col.kind": ("type", "类型"),
    "tens.col.in": ("input shape", "输入形状"),
    "tens.col.out": ("output shape", "输出形状"),
    "tens.col.why": ("why", "原因"),
    "tens.col.formula": ("with the numbers", "代入数值"),
    "tens.col.check": ("matches", "一致"),
    "tens.rule.conv": (
        "convolution: {k}×{k} window, stride {s}, padding {p}; out = ⌊(n + 2p − k)/s⌋ + 1 (p = 1 with k = 3 keeps "
        "the size); channels = number of kernels",
        "卷积：{k}×{k} 窗口、步长 {s}、填充 {p}；out = ⌊(n + 2p − k)/s⌋ + 1（k = 3 时 p = 1 保持尺寸不变）；"
        "通道数 = 卷积核个数"),
    "tens.rule.pool": ("pooling: {k}×{k} window, stride {s}: a stride of 2 halves H and W; channels stay",
                       "池化：{k}×{k} 窗口、步长 {s}：步长为 2 时 H、W 减半；通道数不变"),
    "tens.rule.flatten": ("flatten: the C·H·W values are laid out in one row for the fully connected layer",
                          "展平：把 C·H·W 个数排成一行，交给全连接层"),
    "tens.rule.linear": ("fully connected: {in_features} inputs → {out_features} outputs",
                         "全连接：{in_features} 个输入 → {out_features} 个输出"),
    "tens.rule.same": ("element-wise: the shape does not change", "逐元素运算：形状不变"),
    "tens.rule.adaptive": ("adaptive pooling: whatever the input size, the output is {oh}×{ow}; channels stay",
                           "自适应池化：无论输入多大，输出都是 {oh}×{ow}；通道数不变"),
    "tens.rule.other": ("shape as observed in the forward pass", "形状取自前向传播的实际结果"),
    "tens.code.title": ("The model's own code (nn.Sequential, _block) and its printout",
                        "模型自己的代码（nn.Sequential、_block）及其打印结果"),
    "tens.code.intro": ("This is the source that built the model you are looking at, read from the running program.",
                        "这是构建当前模型的源代码，直接从正在运行的程序中读取。"),
    "tens.code.repr": ("print(model):", "print(model)："),
    # feature map indexing
    "tens.fm.header": ("Indexing the real feature maps", "对真实特征图做索引"),
    "tens.fm.layer": ("Tensor (a layer's output)", "张量（某一层的输出）"),
    "tens.fm.intro": ("`x` is the output of **{layer}**, shape {shape} ({ndim} axes). For [N, C, H, W]: `x[0, c]` is "
                      "channel c of the first image, `x[0, c, i, j]` one value.",
                      "`x` 是 **{layer}** 的输出，形状 {shape}（{ndim} 个轴）。对 [N, C, H, W] 而言：`x[0, c]` 是第一张"
                      "图片的"
                      "第 c 个通道，`x[0, c, i, j]` 是其中一个数。"),
    "tens.fm.input": ("Index into x", "对 x 做索引"),
    "tens.fm.examples": ("Try: x[0, 1] · x[:, :, 2] · x[0, 3, 10, 5] · x[0, :, ::2, ::2] · x[..., -1] · "
                         "x[0, 2, None] · x[0][5][3:9]",
                         "试试：x[0, 1] · x[:, :, 2] · x[0, 3, 10, 5] · x[0, :, ::2, ::2] · x[..., -1] · "
                         "x[0, 2, None] · x[0][5][3:9]"),
    "tens.fm.partial": (
        "This tensor has {c} channels of {h}x{w}: only {n} of them are drawn ({channels}), those holding the "
        "selection first. The text result below is for the whole selection.",
        "这个张量有 {c} 个 {h}x{w} 的通道：只画出其中 {n} 个（{channels}），优先画包含选中元素的通道。下面的文字结果"
        "针对全部选中的元素。"),
    "tens.fm.fig": ("{layer} · {shape} · selected by {expr} (grey: not selected)",
                    "{layer} · {shape} · 由 {expr} 选中（灰色：未选中）"),
    # image embedding
    "tens.img_emb.header": ("The CNN's own image embedding", "CNN 自己的图像 embedding"),
    "tens.img_emb.intro": (
        "The input of the last Linear layer (**{layer}**) is a vector of {d} numbers: the feature maps {source} "
        "flattened. It is what the classifier sees of your image, so it acts as the image's embedding.",
        "最后一个全连接层（**{layer}**）的输入是一个含 {d} 个数的向量：由特征图 {source} 展平得到。分类器看到的就是它，"
        "所以它就是这张图的 embedding。"),
    "tens.img_emb.fig": ("Image embedding · [{d}] (one row per channel)", "图像 embedding · [{d}]（每个通道一行）"),
    "tens.img_emb.channel": ("channel", "通道"),
    "tens.img_emb.feature": ("feature", "特征"),
    "tens.img_emb.no_linear": ("the model has no Linear layer.", "该模型没有全连接层。"),
    "tens.img_emb.table": (
        "Cosine similarity cos(a, b) = a·b / (‖a‖‖b‖) between your image's embedding and those of the sample "
        "images (1 = same direction):",
        "你的图片的 embedding 与各示例图片 embedding 的余弦相似度 cos(a, b) = a·b / (‖a‖‖b‖)（1 表示方向完全相同）："),
    "tens.img_emb.caption": ("✓ marks samples of the predicted class ({label}).", "✓ 表示与预测类别（{label}）相同的示"
                                                                                  "例。"),
    "tens.img_emb.table_photo": (
        "Cosine similarity cos(a, b) = a·b / (‖a‖‖b‖) between your image's embedding and those of the sample "
        "photos (1 = same direction). The photos have no ImageNet label: their class is the model's own "
        "prediction.",
        "你的图片的 embedding 与各示例照片 embedding 的余弦相似度 cos(a, b) = a·b / (‖a‖‖b‖)（1 表示方向完全相同）。"
        "这些照片没有 ImageNet 标签：表中的类别是模型自己的预测。"),
    "tens.img_emb.caption_photo": ("✓ marks photos the model puts in the same class as your image ({label}).",
                                   "✓ 表示模型把该照片分到与你的图片相同的类别（{label}）。"),
    "tens.col.rank": ("rank", "排名"),
    "tens.col.sample": ("sample", "示例"),
    "tens.col.class": ("class", "类别"),
    "tens.col.cos": ("cosine", "余弦相似度"),
    "tens.col.same": ("predicted class", "预测类别"),
    # Compose
    "tens.compose.header": ("transforms.Compose: the preprocessing as code", "transforms.Compose：用代码写出预处理"),
    "tens.compose.intro": (
        "`Compose` chains image transforms: each one's output is the next one's input. This is CNN Lens's own "
        "preprocessing written that way, run here on your 28x28 pixels:",
        "`Compose` 的作用是把多个图片变换串联起来：前一个的输出就是后一个的输入。下面是用这种方式写出的 CNN 透镜预处理"
        "，"
        "并在你的 28x28 像素上实际运行："),
    "tens.compose.intro_photo": (
        "`Compose` chains image transforms: each one's output is the next one's input. This is the ImageNet "
        "weights' own preprocessing written that way (resize the shorter side to {resize} px, centre crop "
        "{crop}x{crop}, scale to [0, 1], normalize with μ = {mean}, σ = {std}), run here on your original file:",
        "`Compose` 的作用是把多个图片变换串联起来：前一个的输出就是后一个的输入。下面是用这种方式写出的 ImageNet 权重"
        "自带的预处理（短边缩放到 {resize} 像素，中心裁剪 {crop}x{crop}，缩放到 [0, 1]，用 μ = {mean}、σ = {std} "
        "标准化），并在你的原始文件上实际运行："),
    "tens.compose.why_photo": (
        "The steps are those of torchvision's `weights.transforms()`: the network only gives its published "
        "accuracy on inputs prepared exactly like its training images. The resize keeps the aspect ratio, so "
        "the crop may cut off the sides of a wide photo.",
        "这些步骤与 torchvision 的 `weights.transforms()` 相同：只有输入的准备方式与训练图片完全一致，网络才能达到"
        "公布的准确率。缩放保持长宽比，所以裁剪可能会切掉宽照片的两边。"),
    "tens.compose.no_bytes": ("the original file is no longer in this session.", "本会话中已没有原始文件。"),
    "tens.compose.same": ("Same tensor as the app's pipeline (largest difference {diff:.1e}).",
                          "与应用自身的预处理得到的张量相同（最大差 {diff:.1e}）。"),
    "tens.compose.differs": ("The Compose pipeline differs from the app's tensor by up to {diff:.3g}.",
                             "Compose 流水线与应用的张量最多相差 {diff:.3g}。"),
    "tens.compose.why": (
        "On 28x28 pixels that are already gray, dark-backgrounded and the right size, the first four steps change "
        "nothing; ToDtype divides by 255 and Normalize computes (x − 0.2860)/0.3530, the mean and standard "
        "deviation of the training images. On a full photo the same Compose also does the grayscale, inversion, "
        "crop and resize (the tests check that it matches the app's tensor).",
        "对于已经是灰度、黑色背景且尺寸正确的 28x28 像素，前四步不会改变任何东西；ToDtype 除以 255，Normalize 计算 "
        "(x − 0.2860)/0.3530，即训练图片的均值和标准差。对一张完整的照片，同一个 Compose 也会完成灰度化、反色、裁剪和缩"
        "放"
        "（测试会核对它与应用得到的张量一致）。"),
}
