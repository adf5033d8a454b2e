"""Strings of the Plain network vs CNN page."""

STRINGS: dict[str, tuple[str, str]] = {
    "mlp.title": ("Plain network vs CNN", "传统神经网络与 CNN"),
    "mlp.intro": (
        "A traditional fully connected network (MLP) must flatten the image into one vector of 784 numbers: it "
        "treats every pixel alike and has one separate weight for each pixel position. A CNN slides the same "
        "small kernels over the whole image, extracts the main features and filters out unimportant ones, then "
        "classifies from those features. Both were trained on the same data.",
        "传统神经网络的输入是一维向量：图片必须先展平成 784 个数，也就是说，传统神经网络会**平等地**对待每一个像素值，"
        "每个像素位置都有自己独立的权重。CNN 则用同一组小卷积核扫过"
        "整张图片，通过卷积提取出图像的主要特征、过滤掉不重要的特征，"
        "最后根据主要特征进行分类。两者使用相同的数据训练。"),
    "mlp.missing": (
        "The MLP baseline (mlp-relu) is not in models/weights yet (it is trained with `python -m models.train "
        "--arch mlp`). The CNN side of the comparison is shown alone until it is there.",
        "models/weights 中还没有 MLP 基线模型（mlp-relu），它由 `python -m models.train --arch mlp` 训练生成。"
        "在它出现之前，本页只显示 CNN 一侧的比较。"),
    "mlp.table": ("Parameters and test accuracy", "参数量与测试准确率"),
    "mlp.col.model": ("Model", "模型"),
    "mlp.col.arch": ("Type", "类型"),
    "mlp.col.params": ("Parameters", "参数量"),
    "mlp.col.test": ("Test accuracy", "测试准确率"),
    "mlp.col.first": ("First layer", "第一层"),
    "mlp.arch.mlp": ("plain (fully connected)", "传统（全连接）"),
    "mlp.arch.tinyvgg": ("CNN", "CNN"),
    "mlp.table_note": (
        "Test accuracy from each model's card: the 10,000 Fashion-MNIST test images (your own trained model: its "
        "card's test or validation score).", "测试准确率来自各模型的说明卡：10,000 张 Fashion-MNIST 测试图片"
        "（你自己训练的模型：说明卡中的测试或验证准确率）。"),
    "mlp.weights": ("What the first layer looks at", "第一层在看什么"),
    "mlp.templates": ("{name} · fc1 rows as 28x28 templates (first {n} of {total})",
                      "{name} · fc1 的每一行作为 28x28 模板（{total} 个中的前 {n} 个）"),
    "mlp.kernels": ("{name} · {layer} kernels · [{c}, 1, 3, 3]", "{name} · {layer} 卷积核 · [{c}, 1, 3, 3]"),
    "mlp.weights_help": (
        "Each hidden unit of the MLP has 784 weights, one per pixel: drawn as a 28x28 picture it is a whole-image "
        "template tied to fixed positions (red: pixel pushes the unit up, blue: down). Each CNN kernel has only 9 "
        "weights and is applied at every position, so the same edge detector works wherever the edge is.",
        "MLP 的每个隐藏单元有 784 个权重，每个像素一个：画成 28x28 的图片，就是一个绑定在固定位置上的整图模板"
        "（红色：该像素使单元增大，蓝色：使其减小）。CNN 的每个卷积核只有 9 个权重，并在每个位置上重复使用，"
        "所以同一个边缘检测器无论边缘出现在哪里都能起作用。"),
    "mlp.unit": ("unit ", "单元 "),
    "mlp.shift_batch": ("Accuracy when the images move", "图片平移后的准确率"),
    "mlp.shift_batch_fig": ("Accuracy on the {n} committed test images, shifted right and down",
                            "仓库自带的 {n} 张测试图片向右、向下平移后的准确率"),
    "mlp.shift_px": ("shift (pixels)", "平移（像素）"),
    "mlp.accuracy": ("accuracy", "准确率"),
    "mlp.shift_batch_note": (
        "At 4 pixels: {mlp_name} keeps {mlp:.1%} (−{mlp_drop:.1f} pp), {cnn_name} keeps {cnn:.1%} "
        "(−{cnn_drop:.1f} pp).", "平移 4 像素时：{mlp_name} 为 {mlp:.1%}（下降 {mlp_drop:.1f} 个百分点），"
        "{cnn_name} 为 {cnn:.1%}（下降 {cnn_drop:.1f} 个百分点）。"),
    "mlp.shift_image": ("Your image, shifted", "你的图片，平移之后"),
    "mlp.strip": ("The current image shifted right by 0–4 pixels (new pixels enter as background)",
                  "当前图片向右平移 0–4 像素（移入的新像素为背景）"),
    "mlp.shift_prob_fig": ("Probability of the class predicted for the unshifted image (mean over 4 directions; "
                           "✗n: the prediction flipped in n of the 4 directions)",
                           "未平移时预测类别的概率（4 个方向的平均；✗n：在 4 个方向中有 n 个方向预测改变）"),
    "mlp.probability": ("probability", "概率"),
    "mlp.flip_table": ("Predicted class per direction and shift", "各方向、各平移量下的预测类别"),
    "mlp.col.direction": ("model · direction", "模型 · 方向"),
    "mlp.dir.right": ("right", "向右"),
    "mlp.dir.left": ("left", "向左"),
    "mlp.dir.down": ("down", "向下"),
    "mlp.dir.up": ("up", "向上"),
    "mlp.why": (
        "Why is the CNN less sensitive? A convolution is translation equivariant: shifting the input shifts the "
        "feature maps by the same amount, and each 2x2 max pool absorbs part of a small shift. The MLP's first "
        "layer has a different weight for every position, so a shifted garment meets different weights and its "
        "hidden units respond differently. The CNN is not fully invariant either: its final linear layer again "
        "has one weight per position of the 7x7 maps, so larger shifts still hurt it. Fewer parameters, shared "
        "weights, and a structure that fits images are why CNNs win on pictures.",
        "为什么 CNN 对平移不那么敏感？卷积具有平移等变性：输入平移"
        "多少，特征图就平移多少；每个 2x2 最大池化还能吸收一部分"
        "小的平移。MLP 的第一层对每个位置都有不同的权重，平移后的衣服会碰到另一组权重，隐藏单元的响应也随之改变。"
        "CNN 也不是完全不变的：它最后的全连接层对 7x7 特征图的每个位置仍有各自的权重，所以更大的平移仍会影响它。"
        "参数更少、权重共享、结构适合图像，这就是 CNN 在图片任务上更好的原因。"),
    "mlp.no_cnn": ("there is no TinyVGG model to compare with.", "没有可以比较的 TinyVGG 模型。"),
    "mlp.zoo.header": ("{title} against a plain network on the same input", "{title} 与同样输入上的传统神经网络"),
    "mlp.zoo.intro": (
        "A plain network must first flatten the {c}×{h}×{w} photo into one vector of **{n:,}** numbers, "
        "and its first fully connected layer has one weight per input value for each of its units. With "
        "{hidden} units (as in the Fashion-MNIST MLP below) that is {n:,} × {hidden} weights before it has "
        "learned anything else; a convolution's kernels do not depend on the image size at all.",
        "传统神经网络必须先把 {c}×{h}×{w} 的照片展平成一个含 **{n:,}** 个数的向量，它的第一个全连接层"
        "对每个隐藏单元、每个输入值都有一个权重。若有 {hidden} 个单元（与下面的 Fashion-MNIST MLP 相同），在学到"
        "任何其他东西之前就已经有 {n:,} × {hidden} 个权重；而卷积核的大小与图片尺寸完全无关。"),
    "mlp.zoo.col.what": ("Layer", "层"),
    "mlp.zoo.col.formula": ("Count", "计算"),
    "mlp.zoo.row.mlp": ("plain network: first layer only ({n:,} inputs → {hidden} units)",
                        "传统神经网络：仅第一层（{n:,} 个输入 → {hidden} 个单元）"),
    "mlp.zoo.row.conv": ("{title}: first convolution {layer}", "{title}：第一个卷积层 {layer}"),
    "mlp.zoo.row.total": ("{title}: the whole network", "{title}：整个网络"),
    "mlp.zoo.ratio": (
        "The plain network's first layer alone would have {ratio:.1f}× as many parameters as the whole {title}, "
        "and {first:,.0f}× as many as its first convolution.",
        "仅传统神经网络的第一层，参数量就是整个 {title} 的 {ratio:.1f} 倍，是其第一个卷积层的 {first:,.0f} 倍。"),
    "mlp.zoo.why": ("an MLP and a TinyVGG trained on the same 28x28 images, and the Fashion-MNIST test batch",
                    "在相同 28x28 图片上训练的 MLP 与 TinyVGG，以及 Fashion-MNIST 测试批次"),
    "mlp.zoo.fmnist_header": ("Fashion-MNIST: the MLP against TinyVGG", "Fashion-MNIST：MLP 与 TinyVGG 对比"),
    "mlp.zoo.image_note": (
        "Your image as the Fashion-MNIST models take it (28x28 gray); the classes below are Fashion-MNIST classes.",
        "你的图片按 Fashion-MNIST 模型的方式处理（28x28 灰度）；下面的类别是 Fashion-MNIST 的类别。"),
}
