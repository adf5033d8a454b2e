"""Strings of the Classifier page (flatten, fully connected, softmax, loss)."""

STRINGS: dict[str, tuple[str, str]] = {
    "cls.title": ("Flatten, fully connected layer, softmax and loss", "展平、全连接层、softmax 与损失"),
    "cls.intro": (
        "The convolution and pooling layers turned your image into high-level features. The fully connected "
        "layer uses them to classify: first all feature values are flattened into one long column (a 1-D "
        "vector), then each class gets a score (a logit), softmax turns the scores into probabilities, and "
        "during training a loss function measures how far they are from the true answer.",
        "卷积层和池化层把你的图片变成了高级特征。全连接层用这些特征来分类：先把所有特征值平坦（flatten）排成一列"
        "（一个一维向量），再给每个类别打一个分数（logit），softmax 把分数变成概率，训练时再用损失函数衡量它们离真实"
        "答案有多远。"),
    "cls.no_linear": ("the model does not end with a fully connected (Linear) layer.",
                      "模型的最后一层不是全连接（Linear）层。"),
    # flatten
    "cls.flatten": ("1 · Flatten: from [C, H, W] to one vector", "1 · 展平：从 [C, H, W] 到一个向量"),
    "cls.flatten_shapes": ("{name} · {shape_in} → {shape_out}", "{name} · {shape_in} → {shape_out}"),
    "cls.flatten_intro": (
        "Flatten keeps every number and only changes how they are indexed: channel after channel, and in each "
        "channel row after row. Choose an element (c, h, w) of the feature map:",
        "展平不改变任何数值，只改变编号方式：一个通道接一个通道，每个通道内一行接一行。"
        "选择特征图中的一个元素 (c, h, w)："),
    "cls.flatten_c": ("channel c", "通道 c"),
    "cls.flatten_h": ("row h", "行 h"),
    "cls.flatten_w": ("column w", "列 w"),
    "cls.flatten_check": ("Map value [{c}, {h}, {w}] = {a:.4f}; vector value [{i}] = {b:.4f}: {verdict}",
                          "特征图中 [{c}, {h}, {w}] = {a:.4f}；向量中 [{i}] = {b:.4f}：{verdict}"),
    "cls.same": ("the same number.", "是同一个数。"),
    "cls.different": ("DIFFERENT (unexpected).", "不同（出乎意料）。"),
    "cls.flatten_map": ("channel {c} of {name} · [{h_}, {w_}]", "{name} 的通道 {c} · [{h_}, {w_}]"),
    "cls.flatten_vector": ("the flattened vector · [{n}]", "展平后的向量 · [{n}]"),
    "cls.no_flatten": (
        "The model has no Flatten layer after a feature map, so there is no [C, H, W] → vector step "
        "to show.", "模型在特征图之后没有展平层，所以没有 [C, H, W] → 向量 这一步可以展示。"),
    # fully connected
    "cls.fc": ("2 · Fully connected: one weighted sum per class", "2 · 全连接：每个类别一个加权求和"),
    "cls.fc_shapes": ("{name} · weight {w_shape}, bias {b_shape} · input {x_shape} → logits {z_shape}",
                      "{name} · 权重 {w_shape}，偏置 {b_shape} · 输入 {x_shape} → logits {z_shape}"),
    "cls.fc_class": ("Class k", "类别 k"),
    "cls.fc_show": ("Show as maps", "以特征图显示"),
    "cls.fc_show.weights": ("weights W[k]", "权重 W[k]"),
    "cls.fc_show.features": ("features x", "特征 x"),
    "cls.fc_show.terms": ("products W[k]·x", "乘积 W[k]·x"),
    "cls.fc_maps_title": ("{what} of class {label}, reshaped to {shape}", "类别 {label} 的{what}，重排为 {shape}"),
    "cls.fc_maps_caption": (
        "Class k's weight row has one weight per flattened feature, so it can be laid out like the feature "
        "map: red weights vote for the class where the feature is active, blue ones against it. The products "
        "show where, on your image, the votes came from.",
        "类别 k 的权重行对每个展平后的特征都有一个权重，所以可以像特征图一样排列：红色权重在特征激活处为该类投赞成票，"
        "蓝色投反对票。乘积图显示在你的图片上，这些票来自哪里。"),
    "cls.fc_no_maps": ("The classifier's input is not a flattened feature map, so its weights are shown only as "
                       "terms below.", "分类器的输入不是展平的特征图，所以其权重只在下面以求和项的形式显示。"),
    "cls.fc_sum_title": ("The logit of class {label} as a dot product", "类别 {label} 的 logit：一个点积"),
    "cls.fc_check": (
        "Computed sum {total:.5f}; the logit recorded in the trace {traced:.5f}; F.linear {functional:.5f}: {verdict}",
        "这里算出的和 {total:.5f}；追踪记录中的 logit {traced:.5f}；F.linear {functional:.5f}：{verdict}"),
    "cls.match": ("they agree.", "三者一致。"),
    "cls.mismatch": ("they DIFFER (unexpected).", "三者不一致（出乎意料）。"),
    "cls.top_terms": ("Top {n} of {d} terms W[k,i]·xᵢ", "{d} 个求和项中最大的 {n} 个"),
    "cls.term_label": ("i={i} (c{c},{h},{w}): {wt:+.3f}×{x:.3f}", "i={i}（c{c},{h},{w}）：{wt:+.3f}×{x:.3f}"),
    "cls.term_label_flat": ("i={i}: {wt:+.3f}×{x:.3f}", "i={i}：{wt:+.3f}×{x:.3f}"),
    "cls.channel_sums": ("Votes per channel: Σ of the terms of each channel", "每个通道的投票：各通道求和项之和"),
    "cls.channel_label": ("channel {c}", "通道 {c}"),
    # softmax
    "cls.softmax": ("3 · Softmax: scores to probabilities", "3 · Softmax：从分数到概率"),
    "cls.softmax_intro": (
        "Softmax makes every score positive with e^z and divides by the sum, so the probabilities add up to "
        "1. Dividing the logits by a temperature T first changes how sure it looks: T < 1 sharpens, T > 1 "
        "flattens; the order of the classes never changes.",
        "softmax 用 e^z 把每个分数变成正数，再除以总和，使概率加起来等于 1。先把 logits 除以温度 T 会改变它看起来有多"
        "确定：T < 1 更尖锐，T > 1 更平缓；类别的排序永远不变。"),
    "cls.temperature": ("temperature T", "温度 T"),
    "cls.p_model": ("T = 1 (the model)", "T = 1（模型本身）"),
    "cls.p_temp": ("T = {T}", "T = {T}"),
    "cls.col.class": ("class", "类别"),
    "cls.col.logit": ("logit z", "logit z"),
    "cls.col.scaled": ("z / T", "z / T"),
    "cls.col.p": ("p at T", "温度 T 下的 p"),
    "cls.softmax_check": ("At T = 1 this equals the model's own probabilities (largest difference {diff:.1e}).",
                          "T = 1 时与模型自己的概率一致（最大差值 {diff:.1e}）。"),
    # loss
    "cls.loss": ("4 · Loss: how wrong is the answer?", "4 · 损失：答案错得有多远？"),
    "cls.loss_intro": (
        "Choose the true label. The loss function (also called the objective function or cost function) turns "
        "the probabilities and the true answer into one number that training makes smaller.",
        "选择真实标签。损失函数（loss function，也叫“目标函数”“代价函数”）把概率和真实答案"
        "变成一个数，训练就是让它变小。"),
    "cls.label": ("True label y", "真实标签 y"),
    "cls.label_help": ("For a sample image this starts at its real Fashion-MNIST label.",
                       "对于示例图片，默认是它真实的 Fashion-MNIST 标签。"),
    "cls.ce": ("cross-entropy −log p_y", "交叉熵 −log p_y"),
    "cls.mse": ("MSE on one-hot: (1/K)·Σ(p − y)²", "one-hot 上的 MSE：(1/K)·Σ(p − y)²"),
    "cls.traced_loss": ("traced loss (F.cross_entropy)", "追踪记录的损失（F.cross_entropy）"),
    "cls.grad_title": ("Gradient of the loss with respect to the logits, ∂L/∂z", "损失对 logits 的梯度 ∂L/∂z"),
    "cls.grad_traced": ("traced (autograd)", "追踪记录（自动微分）"),
    "cls.grad_ce": ("cross-entropy: p − onehot(y)", "交叉熵：p − onehot(y)"),
    "cls.grad_mse": ("MSE: J·(2/K)(p − y)", "MSE：J·(2/K)(p − y)"),
    "cls.grad_check": (
        "The formula p − onehot(y) equals the gradient autograd recorded at the classifier's output "
        "(largest difference {diff:.1e}).",
        "公式 p − onehot(y) 与自动微分在分类器输出处记录的梯度一致（最大差值 {diff:.1e}）。"),
    "cls.grad_caption": (
        "MSE here is taken on the softmax probabilities (not on the logits), averaged over the K = {k} classes, "
        "so its gradient goes back through the softmax Jacobian J = diag(p) − p·pᵀ. Cross-entropy's gradient "
        "is simply p − onehot(y): large when the model is confidently wrong. MSE's is damped by J and almost "
        "vanishes when p is near 0 or 1, even if the answer is wrong.",
        "这里的 MSE 是在 softmax 概率上（不是在 logits 上）计算、对 K = {k} 个类别取平均的，所以它的梯度要经过 softmax "
        "的雅可比矩阵 J = diag(p) − p·pᵀ。交叉熵的梯度就是 p − onehot(y)：模型自信地答错时梯度很大。MSE 的梯度被 J "
        "削弱，p 接近 0 或 1 时几乎消失，即使答案是错的。"),
    "cls.loss_curve_x": ("probability p_y of the true class", "真实类别的概率 p_y"),
    "cls.loss_curve_caption": (
        "Loss as a function of p_y (the MSE curve assumes the rest is spread evenly over the other classes); "
        "the dot is your image.",
        "损失随 p_y 的变化（MSE 曲线假设其余概率平均分给其他类别）；圆点是你的图片。"),
    "cls.loss_why": (
        "**损失函数 / 目标函数 / 代价函数**: three names used for the same idea: the number that training "
        "minimises by following its gradient (strictly, 'loss' is often one example's error and 'cost' the "
        "average over the data set).\n\n"
        "**Cross-entropy (交叉熵)** compares the true distribution y (all mass on the true class) with the "
        "predicted p: H(y, p) = −Σ y_k log p_k = −log p_y. It is 0 when p_y = 1 and grows without bound as p_y → "
        "0, so a confident wrong answer costs a lot.\n\n"
        "**MSE (均方误差)** is the usual objective of regression. Used for classification on one-hot targets it "
        "works, but its gradient is small exactly when the model is very wrong, so training is slower; "
        "that is why classifiers use cross-entropy.",
        "**损失函数 / 目标函数 / 代价函数**：同一个概念的三个名字——训练沿着梯度去最小化的那个数（严格地说，“损失”"
        "常指单个样本的误差，“代价”指整个数据集上的平均）。\n\n"
        "**交叉熵**比较真实分布 y（全部概率在真实类别上）与预测的 p：H(y, p) = −Σ y_k log p_k = −log p_y。p_y = 1 时"
        "为 0，p_y → 0 时无限增大，所以自信地答错代价很高。\n\n"
        "**均方误差（MSE）**是回归问题常用的目标函数。用在 one-hot 目标的分类上也能训练，但恰恰在模型错得很离谱时"
        "梯度很小，训练更慢；所以分类器使用交叉熵。"),
    # ImageNet models: implicit flatten, conv head (SqueezeNet), top-N views, one weight row's gradient
    "cls.flatten_functional": (
        "This model has no Flatten layer: its forward() calls torch.flatten between {source} and {reader}. "
        "The step is the same, shown with the tensors recorded on both sides.",
        "这个模型没有展平层：它的 forward() 在 {source} 和 {reader} 之间调用 torch.flatten。"
        "这一步完全相同，下面用两边记录的张量来展示。"),
    "cls.fc_class_help": ("{n} classes: type to search. It starts at the predicted class.",
                          "共 {n} 个类别：可以输入文字搜索。默认是预测的类别。"),
    "cls.conv_head": (
        "This model has no fully connected layer. Its classifier is {conv}, a 1x1 convolution with weights "
        "{w_shape}: at every position it takes a weighted sum of the {c} channels for each of the {k} classes "
        "(a 'fully connected layer applied at every pixel'), then ReLU ({relu}) and the global average pool "
        "{pool} turn each class map into one logit. Softmax and the loss below work exactly as for a fully "
        "connected layer.",
        "这个模型没有全连接层。它的分类器是 {conv}，一个 1x1 卷积，权重形状 {w_shape}：在每个位置上，它对 {c} 个通道"
        "做加权求和，{k} 个类别各一个（相当于“在每个像素上做一次全连接”），然后 ReLU（{relu}）和全局平均池化 {pool} "
        "把每个类别图变成一个 logit。下面的 softmax 和损失与全连接层完全一样。"),
    "cls.conv_head_check": (
        "Computed {total:.5f}; the logit recorded in the trace {traced:.5f}; F.conv2d → ReLU → average pool "
        "{functional:.5f}: {verdict} The ReLU let {active:.0%} of the positions through (the set A).",
        "这里算出 {total:.5f}；追踪记录中的 logit {traced:.5f}；F.conv2d → ReLU → 平均池化 {functional:.5f}："
        "{verdict} ReLU 让 {active:.0%} 的位置通过（集合 A）。"),
    "cls.class_map": ("Class map s of {label} before the ReLU · {shape}",
                      "类别 {label} 的类别图 s（ReLU 之前）· {shape}"),
    "cls.class_map_caption": (
        "Red positions (s > 0) add to the logit, blue ones are cut to 0 by the ReLU; the logit is the mean "
        "over all positions.",
        "红色位置（s > 0）计入 logit，蓝色位置被 ReLU 截为 0；logit 是所有位置的平均值。"),
    "cls.term_label_channel": ("c={i}: {wt:+.3f}×{x:.3f}", "c={i}：{wt:+.3f}×{x:.3f}"),
    "cls.rest_terms": (
        "The {n} largest terms sum to {top:+.4f}; the other {m} terms add {rest:+.4f}; with the bias {bias:+.4f} "
        "that is {total:.4f}, the logit.",
        "最大的 {n} 项之和为 {top:+.4f}；其余 {m} 项合计 {rest:+.4f}；加上偏置 {bias:+.4f}，得到 {total:.4f}，"
        "即 logit。"),
    "cls.fc_maps_top": ("Showing the {n} channels (of {c}) whose terms add up to the largest |vote|.",
                        "显示 {c} 个通道中求和项合计 |投票| 最大的 {n} 个。"),
    "cls.softmax_top": (
        "The {n} most probable of {k} classes; the other classes hold {rest:.2%} at T = 1 and {rest_t:.2%} at "
        "T = {T}.",
        "{k} 个类别中概率最高的 {n} 个；其余类别在 T = 1 时共占 {rest:.2%}，在 T = {T} 时共占 {rest_t:.2%}。"),
    "cls.grad_top": ("Shown: the {n} most probable of {k} classes and the label; every other class's ∂L/∂z_k is "
                     "its own small p_k.",
                     "显示：{k} 个类别中概率最高的 {n} 个以及标签类别；其他每个类别的 ∂L/∂z_k 就是它自己很小的 p_k。"),
    "cls.label_help_imagenet": ("It starts at the predicted class; choose the class the image really shows.",
                                "默认是预测的类别；请选择图片中真正的类别。"),
    "cls.row_grad": (
        "**Gradient of class {label}'s weight row.** ∂L/∂W[{y}, i] = ∂L/∂z_{y} · xᵢ = {dz:+.4f} · xᵢ: the "
        "row moves along the features x, scaled by p_y − 1. Its norm over the {d} weights is {norm:.4g}.",
        "**类别 {label} 权重行的梯度。** ∂L/∂W[{y}, i] = ∂L/∂z_{y} · xᵢ = {dz:+.4f} · xᵢ：这一行沿着特征 x 的方向"
        "更新，缩放系数是 p_y − 1。它在 {d} 个权重上的范数为 {norm:.4g}。"),
    "cls.row_grad_check": ("Equals the weight gradient autograd stored in the trace (largest difference {diff:.1e}).",
                           "与追踪记录中自动微分保存的权重梯度一致（最大差值 {diff:.1e}）。"),
    "cls.row_grad_not_stored": (
        "The trace does not store this layer's full weight gradient (a tensor of more than 5 million numbers); "
        "the row above needs only ∂L/∂z_y and x.",
        "追踪记录没有保存这一层完整的权重梯度（超过 500 万个数的张量）；上面这一行只需要 ∂L/∂z_y 和 x。"),
}
