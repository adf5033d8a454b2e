"""Strings of the Attribution page ("what did the network look at")."""

STRINGS: dict[str, tuple[str, str]] = {
    "attr.title": ("What did the network look at?", "网络在看哪里？"),
    "attr.intro": (
        "Each method below colours the input image by how much each pixel matters for the score S_t of one class t. "
        "They answer slightly different questions, so they do not always agree: compare them, and use the sanity "
        "check to see which ones really depend on what the model learned.",
        "下面每种方法都按照每个像素对某个类别 t 的得分 S_t 有多重要来给输入图片上色。它们回答的问题略有不同，"
        "所以结果不一定一致：请对比着看，并用“合理性检验”看看哪些方法真正依赖于模型学到的东西。"),
    "attr.target": ("Class t to explain", "要解释的类别 t"),
    "attr.target_pred": ("predicted class ({label})", "预测类别（{label}）"),
    "attr.target_top": ("{label} (class {k}) · P = {prob:.1%}", "{label}（类别 {k}）· P = {prob:.1%}"),
    "attr.target_other": ("another class: type its number…", "其他类别：输入类别编号…"),
    "attr.target_index": ("Class number (0–{max})", "类别编号（0–{max}）"),
    "attr.target_info": ("Explaining **{label}**: probability {prob:.1%}, score S_t = {score:.3f}.",
                         "解释 **{label}**：概率 {prob:.1%}，得分 S_t = {score:.3f}。"),
    "attr.grad.header": ("Gradients with respect to the pixels", "对像素求梯度"),
    "attr.saliency": ("Saliency |∂S_t/∂x|", "显著图 |∂S_t/∂x|"),
    "attr.saliency_help": (
        "How strongly S_t would change if this one pixel changed a little. Large = sensitive, not necessarily "
        "important: gradients are noisy.",
        "如果这一个像素稍微改变，S_t 会变化多大。值大表示敏感，但不一定重要：梯度本身很嘈杂。"),
    "attr.gxi": ("Gradient × input x ⊙ ∂S_t/∂x", "梯度 × 输入 x ⊙ ∂S_t/∂x"),
    "attr.gxi_help": (
        "A first-order estimate of each pixel's contribution: red pixels push S_t up, blue ones down. It is "
        "proportional to the pixel value x (after normalization the black background is negative, not 0!), so "
        "read it together with the image.",
        "每个像素贡献的一阶估计：红色像素使 S_t 增大，蓝色使其减小。它与像素值 x 成正比（归一化后，黑色背景是负值！），"
        "所以要结合图片一起看。"),
    "attr.smooth": ("SmoothGrad (n = {n})", "SmoothGrad（n = {n}）"),
    "attr.smooth_help": (
        "|mean of ∂S_t/∂x| over n noisy copies of the image (Gaussian noise of standard deviation σ·(max − min)): "
        "the pixel-level noise of the plain gradient averages out. σ = 0 gives the saliency map again.",
        "|∂S_t/∂x 的平均|，在 n 个加噪的图片副本（高斯噪声，标准差 σ·(max − min)）上求平均："
        "单个梯度中像素级的噪声被平均掉了。σ = 0 时就又得到显著图。"),
    "attr.smooth_running": ("SmoothGrad: {n} noisy copies through the network…",
                            "SmoothGrad：{n} 个加噪副本正在通过网络…"),
    "attr.smooth_n": ("Noisy copies n", "加噪副本数 n"),
    "attr.smooth_sigma": ("Noise level σ (fraction of the input range)", "噪声水平 σ（占输入范围的比例）"),
    "attr.cam.header": ("Grad-CAM: which regions of a layer's maps matter", "Grad-CAM：某层特征图的哪些区域重要"),
    "attr.cam.layer": ("Layer (any layer with feature maps)", "层（任何有特征图的层）"),
    "attr.cam.layer_conv": ("Convolution layer (default: the last one whose maps still have positions)",
                            "卷积层（默认：最后一个仍有空间位置的特征图的卷积层）"),
    "attr.cam.caption": (
        "{layer} · maps A {shape} → weights α_k = mean of ∂S_t/∂A_k → ReLU(Σ_k α_k A_k) {small} → upsampled to {size}.",
        "{layer} · 特征图 A {shape} → 权重 α_k = ∂S_t/∂A_k 的平均 → ReLU(Σ_k α_k A_k) {small} → 上采样到 {size}。"),
    "attr.cam.map": ("Grad-CAM of {layer}", "{layer} 的 Grad-CAM"),
    "attr.cam.weights": ("Channel weights α_k of {layer}", "{layer} 的通道权重 α_k"),
    "attr.cam.help": (
        "Grad-CAM weights each feature map A_k of the chosen layer by how much the class score depends on it on "
        "average (α_k), adds them up and keeps the positive part. Deep layers give coarse maps about object parts; "
        "early layers give sharp maps that look like edge detectors.",
        "Grad-CAM 按类别得分平均依赖每张特征图 A_k 的程度（α_k）给它加权，相加后只保留正的部分。深层给出关于物体部件的"
        "粗略区域；浅层给出像边缘检测器一样的清晰图。"),
    "attr.cam.zero": ("The map is zero everywhere: for this class every weighted sum is negative at this layer.",
                      "这张图处处为零：对这个类别，该层每个位置的加权和都是负的。"),
    "attr.cam.none": ("this model has no layers with 2-D feature maps (it flattens the image first).",
                      "这个模型没有二维特征图的层（它一开始就把图片展平了）。"),
    "attr.rand.header": ("Sanity check: randomize the model", "合理性检验：把模型随机化"),
    "attr.rand.intro": (
        "If a map explains the model, it must change when the model's weights are destroyed. Here the weights are "
        "re-initialised on a copy, the top layer first, then one layer more at each step (Adebayo et al., 2018), "
        "and each saliency map is compared with the trained model's by the Spearman rank correlation ρ "
        "(1 = same ranking of pixels, 0 = unrelated).",
        "如果一张图真的在解释模型，那么模型的权重被破坏后它必须改变。这里在模型的副本上重新随机初始化权重，"
        "先从最顶层开始，每一步再多随机化一层（Adebayo 等，2018），并用 Spearman 等级相关系数 ρ 把每张显著图与"
        "已训练模型的显著图比较（1 = 像素排序完全相同，0 = 毫无关系）。"),
    "attr.rand.trained": ("trained", "已训练"),
    "attr.rand.running": ("Randomizing a copy of the model, step by step…", "正在逐步随机化模型的副本…"),
    "attr.rand.grouped": (
        "This network has {n} layers with weights: to keep the check quick they are randomized in {k} groups, "
        "the top group first (each step adds the next group, so each step is one more pass through the network).",
        "这个网络有 {n} 个带权重的层：为了让检验快一些，它们被分成 {k} 组来随机化，从最顶上一组开始"
        "（每一步多随机化一组，每一步只需再通过网络一次）。"),
    "attr.rand.step": ("−{layer}", "−{layer}"),
    "attr.rand.maps": ("Saliency after each step (each map scaled to its own maximum)",
                       "每一步之后的显著图（每张图按各自最大值缩放）"),
    "attr.rand.chart": ("Rank correlation with the trained model's saliency", "与已训练模型显著图的等级相关"),
    "attr.rand.col.step": ("randomized so far (top first)", "已随机化的层（从顶层开始）"),
    "attr.rand.col.rho": ("Spearman ρ", "Spearman ρ"),
    "attr.rand.verdict_ok": ("After all layers are random, ρ = {rho:.2f}: the saliency map depends on the learned "
                             "weights.", "所有层都随机化后 ρ = {rho:.2f}：显著图确实依赖于学到的权重。"),
    "attr.rand.verdict_bad": ("After all layers are random, ρ is still {rho:.2f}: much of this map reflects the image "
                              "itself, not what the model learned.",
                              "所有层都随机化后 ρ 仍为 {rho:.2f}：这张图有很大一部分反映的是图片本身，"
                              "而不是模型学到的东西。"),
    "attr.occ.header": ("Occlusion: hide a patch, watch the probability", "遮挡：遮住一块，看概率的变化"),
    "attr.occ.intro": (
        "A grey square (value 0 after normalization, i.e. the average training pixel) slides over the image; for "
        "each position the model runs again and the drop of P(t) is recorded. Each pixel shows the mean drop of "
        "the squares covering it: red = hiding it lowers P(t), blue = hiding it raises P(t).",
        "一个灰色方块（归一化后值为 0，即训练图片的平均像素）在图片上滑动；每到一个位置模型就重新计算一次，记录 P(t) "
        "的下降。每个像素显示覆盖它的所有方块的平均下降：红色 = 遮住它会降低 P(t)，蓝色 = 遮住它反而提高 P(t)。"),
    "attr.occ.patch": ("Patch size p (pixels)", "方块大小 p（像素）"),
    "attr.occ.photo_help": (
        "Each position is one more pass through the whole network, so the grid is coarse for a 224x224 photo: "
        "at most {limit} positions.",
        "每个位置都要让整个网络再计算一次，所以对 224x224 的照片网格较粗：最多 {limit} 个位置。"),
    "attr.occ.overlap": ("Overlap of neighbouring squares", "相邻方块的重叠"),
    "attr.occ.overlap.none": ("none (stride s = p)", "不重叠（步长 s = p）"),
    "attr.occ.overlap.half": ("half (stride s = p/2)", "重叠一半（步长 s = p/2）"),
    "attr.occ.running": ("Running {passes} occluded images through the network…",
                         "正在让 {passes} 张遮挡后的图片通过网络…"),
    "attr.occ.stride": ("Stride s (pixels)", "步长 s（像素）"),
    "attr.occ.stride_clamped": ("The stride cannot exceed the patch size: using s = {s}.",
                                "步长不能大于方块大小：使用 s = {s}。"),
    "attr.occ.cost": ("{passes} forward passes ({rows} × {cols} positions; limit {limit}), run in batches of {chunk}.",
                      "{passes} 次前向计算（{rows} × {cols} 个位置；上限 {limit}），按每批 {chunk} 张计算。"),
    "attr.occ.map": ("Drop of P({label}) when hidden · base P = {base:.1%}",
                     "遮住后 P({label}) 的下降 · 原始 P = {base:.1%}"),
    "attr.trust.title": ("What to trust", "哪些结果可以信任"),
    "attr.trust.body": (
        "- **Saliency** is exact for what it measures (a derivative) but measures a local question: what if this "
        "pixel changed by a tiny amount? It is noisy and says nothing about the sign.\n"
        "- **Gradient × input** adds the pixel's value; where x is near 0 it is near 0 whatever the model does.\n"
        "- **SmoothGrad** is easier to read; too much noise blurs it into a silhouette of the object.\n"
        "- **Grad-CAM** on a deep layer is coarse (7x7 or 14x14 upsampled) but class-specific: try another class "
        "and it should move.\n"
        "- **Occlusion** measures a real change of the output, but of images the model never saw (grey squares), "
        "and its resolution is the patch size.\n"
        "- A map that survives the randomization check (ρ stays high) shows the image, not the model: do not read "
        "it as an explanation.",
        "- **显著图**对它所度量的量（导数）是精确的，但它回答的是一个局部问题：如果这个像素改变一点点会怎样？它很嘈杂，"
        "也不区分正负。\n"
        "- **梯度 × 输入**乘上了像素值；x 接近 0 的地方无论模型怎样它都接近 0。\n"
        "- **SmoothGrad** 更容易看懂；噪声太大时会模糊成物体的轮廓。\n"
        "- 深层的 **Grad-CAM** 比较粗（7x7 或 14x14 上采样而来），但与类别有关：换一个类别，它应该会移动。\n"
        "- **遮挡**测量的是输出的真实变化，但用的是模型从未见过的图片（带灰色方块），分辨率取决于方块大小。\n"
        "- 通过不了随机化检验（ρ 一直很高）的图反映的是图片而不是模型：不要把它当作解释。"),
    "attr.error.smooth_n": ("Choose between 1 and {max} noisy copies.", "请选择 1 到 {max} 个加噪副本。"),
    "attr.error.smooth_sigma": ("The noise level must be between 0 and 1.", "噪声水平必须在 0 到 1 之间。"),
    "attr.error.occ_overlap": ("Choose no overlap or half a patch.", "请选择不重叠或重叠半个块。"),
    "attr.error.occlusion_size": ("The patch must fit in the image and the stride must be between 1 and the patch "
                                  "size.", "方块必须能放进图片，且步长必须在 1 到方块大小之间。"),
    "attr.error.occlusion_cost": ("{passes} forward passes exceed the limit of {limit}: use a larger stride or patch.",
                                  "{passes} 次前向计算超过上限 {limit}：请增大步长或方块。"),
}
