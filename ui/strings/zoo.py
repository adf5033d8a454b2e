"""Strings of the ImageNet models: picker labels, download and offline messages, their preprocessing."""

STRINGS: dict[str, tuple[str, str]] = {
    "sidebar.zoo_option": ("{title} · ImageNet {acc:.1%}", "{title} · ImageNet {acc:.1%}"),
    "sidebar.zoo_option_missing": ("{title} · ImageNet {acc:.1%} · not downloaded yet",
                                   "{title} · ImageNet {acc:.1%} · 尚未下载"),
    "sidebar.own_option": ("{title} (your weights)", "{title}（你的权重）"),
    "zoo.checking": ("Looking for the weights in the cache…", "正在缓存中查找权重…"),
    "zoo.loading": ("Loading the model…", "正在加载模型…"),
    "zoo.downloading": ("Downloading {file}: {done:.1f} of {total:.1f} MB",
                        "正在下载 {file}：{done:.1f} / {total:.1f} MB"),
    "zoo.missing": (
        "The pretrained weights of {title} are not on this computer and could not be downloaded ({reason}). "
        "The Fashion-MNIST models still work: choose one in the sidebar.",
        "{title} 的预训练权重不在这台电脑上，也无法下载（{reason}）。Fashion-MNIST 模型仍可使用：请在侧边栏中选择。",
    ),
    "zoo.missing_help": (
        "To use it without a network, download **`{file}`** elsewhere from {url} and place it, unchanged, in "
        "the folder **`{folder}`** (torch's hub cache; `TORCH_HOME` moves it). Then reload this page.",
        "若要离线使用：在其他电脑上从 {url} 下载 **`{file}`**，原样放入文件夹 **`{folder}`**（torch 的 hub "
        "缓存；可用 `TORCH_HOME` 更改），然后刷新本页。",
    ),
    "zoo.use_default": ("Use {name} instead", "改用 {name}"),
    "zoo.bad_file": ("The weights file of {title} cannot be used: {error}", "{title} 的权重文件无法使用：{error}"),
    "zoo.bad_file_help": (
        "Delete the file from `{folder}` so that it can be downloaded again, or replace it with the original.",
        "请从 `{folder}` 删除该文件以便重新下载，或换成原始文件。",
    ),
    "zoo.weights_error.unreadable": ("it is not a file that torch.load can read safely ({detail}).",
                                     "它不是 torch.load 能安全读取的文件（{detail}）。"),
    "zoo.weights_error.not_state_dict": ("it does not hold a state dict of tensors ({detail}).",
                                         "它不包含由张量组成的 state dict（{detail}）。"),
    "zoo.weights_error.mismatch": ("its tensors do not fit this architecture: {detail}.",
                                   "其中的张量与该网络结构不匹配：{detail}。"),
    "zoo.weights_error.too_big": ("the file is too large ({detail}).", "文件过大（{detail}）。"),
    "step.to_rgb": ("RGB (3 channels)", "RGB（3 个通道）"),
    "step.resize_short": ("shorter side → {n} px ({w}x{h}, {interp})", "短边缩放到 {n} 像素（{w}x{h}，{interp}）"),
    "step.center_crop": ("centre crop {n}x{n}", "中心裁剪 {n}x{n}"),
    "step.normalized": ("normalized (shown stretched)", "标准化后（拉伸显示）"),
    "overview.steps_help_imagenet": (
        "These are the steps of the weights' own `transforms()`, the same as when the network was trained and "
        "evaluated on ImageNet: the shorter side is resized to {resize} px (keeping the aspect ratio), the centre "
        "{crop}x{crop} square is cut out, the bytes are scaled to [0, 1] and every colour channel c is normalized "
        "with the ImageNet statistics: x_c = (v_c − μ_c)/σ_c with μ = {mean} and σ = {std}. The last picture "
        "stretches each channel to full brightness so that it can be seen; the network gets the numbers.",
        "这些是权重自带的 `transforms()` 的步骤，与该网络在 ImageNet 上训练和评估时完全相同：先把短边缩放到 "
        "{resize} 像素（保持长宽比），再从中心裁出 {crop}x{crop} 的正方形，把字节缩放到 [0, 1]，最后用 ImageNet "
        "的统计量对每个颜色通道 c 做标准化：x_c = (v_c − μ_c)/σ_c，μ = {mean}，σ = {std}。最后一张图把每个通道"
        "拉伸到满亮度以便观看；网络拿到的是这些数值。",
    ),
    "overview.intro_imagenet": (
        "Upload a photo, take one with the camera, or pick a sample. The network below is {title}, a real "
        "ImageNet classifier from torchvision: it takes a 224x224 colour picture and chooses among 1000 kinds of "
        "objects and animals. Every page then shows, layer by layer, what it does with *your* image.",
        "上传一张照片、用摄像头拍一张，或选择一个示例。下面的网络是 {title}，来自 torchvision 的真实 ImageNet "
        "分类器：它接收 224x224 的彩色图片，从 1000 种物体和动物中做出选择。之后每一页都会逐层展示它如何处理"
        "*你的*图片。",
    ),
    "overview.steps_imagenet": ("Preprocessing: from your file to the {crop}x{crop} colour input",
                                "预处理：从你的文件到 {crop}x{crop} 的彩色输入"),
    "overview.zoo_card": (
        "**{title}** from torchvision, pretrained on ImageNet-1K (1.28 million photos, 1000 classes): top-1 "
        "accuracy {top1:.1%}, top-5 {top5:.1%} on the 50,000 validation images; {params:,} parameters, "
        "{gflops:.2f} GFLOPs per image. Weights: `{file}`.",
        "来自 torchvision 的 **{title}**，在 ImageNet-1K（128 万张照片，1000 类）上预训练：在 5 万张验证图片上 "
        "top-1 准确率 {top1:.1%}，top-5 {top5:.1%}；参数 {params:,} 个，每张图 {gflops:.2f} GFLOPs。权重文件："
        "`{file}`。",
    ),
    "overview.zoo_out_of_domain": (
        "An ImageNet network knows 1000 kinds of objects and animals; for anything else it still picks the "
        "closest of them.",
        "ImageNet 网络认识 1000 种物体和动物；对其他东西，它仍会从中挑一个最接近的。",
    ),
    "picker.photo_option": ("Photo · {name}", "照片 · {name}"),
    "picker.photo.cat-chelsea": ("cat (Chelsea)", "猫（Chelsea）"),
    "picker.photo.coffee-cup": ("coffee cup", "咖啡杯"),
    "picker.photo.astronaut-collins": ("astronaut (Eileen Collins)", "宇航员（Eileen Collins）"),
    "picker.photo.rocket-falcon9": ("rocket launch (Falcon 9)", "火箭发射（猎鹰 9 号）"),
    "zoo.own.title": ("Use your own weights file", "使用自己的权重文件"),
    "zoo.own.intro": (
        "A `.pth`/`.pt` state dict for one of the ImageNet architectures (for example a fine-tuned copy). It is "
        "read with `torch.load(..., weights_only=True)`, so no code in it runs, and it must fit the architecture "
        "exactly (every key and shape). It stays in this browser session only.",
        "为某个 ImageNet 网络结构准备的 `.pth`/`.pt` state dict（例如微调过的副本）。文件用 "
        "`torch.load(..., weights_only=True)` 读取，其中的代码不会运行；它必须与网络结构完全一致（每个键和形状）。"
        "它只保存在本浏览器会话中。",
    ),
    "zoo.own.arch": ("Architecture", "网络结构"),
    "zoo.own.file": ("Weights file (.pth, .pt; up to {mb} MB)", "权重文件（.pth、.pt；最大 {mb} MB）"),
    "zoo.own.loaded": ("Loaded {file} as {name}: it is now the model in the sidebar.",
                       "已将 {file} 加载为 {name}：它现在是侧边栏中选中的模型。"),
    "zoo.own.refused": ("{file} cannot be used as {title}: {error}", "{file} 不能作为 {title} 使用：{error}"),
}
STRINGS.update({
    "paging.page": ("Page (of {pages})", "页码（共 {pages} 页）"),
    "paging.help": ("This layer has {c} channels: {n} are shown at a time, strongest first.",
                    "该层有 {c} 个通道：每次显示 {n} 个，最强的在前。"),
    "paging.caption.mean": ("Channels ranked {a}–{b} of {c} by mean activation: {channels}.",
                            "按平均激活排序的第 {a}–{b} 个通道（共 {c} 个）：{channels}。"),
    "paging.caption.max": ("Channels ranked {a}–{b} of {c} by strongest activation: {channels}.",
                           "按最大激活排序的第 {a}–{b} 个通道（共 {c} 个）：{channels}。"),
    "paging.caption.abs": ("Channels ranked {a}–{b} of {c} by mean |value|: {channels}.",
                           "按平均绝对值排序的第 {a}–{b} 个通道（共 {c} 个）：{channels}。"),
    "attr.heavy.run": ("Compute it (about {passes} passes of {title})", "计算（约需 {title} 运行 {passes} 次）"),
    "attr.heavy.help": ("A large ImageNet network takes a noticeable time for every pass on a CPU, so this part "
                        "runs only when asked. The result is kept for this image.",
                        "大型 ImageNet 网络在 CPU 上每运行一次都要一些时间，所以这一部分只在需要时计算。"
                        "结果会为这张图片保留。"),
    "common.not_for_layer": ("Not applicable to {layer}: {why}", "不适用于 {layer}：{why}"),
    "common.imagenet_not_applicable": (
        "This part uses the Fashion-MNIST models and their data ({why}); it does not apply to the ImageNet "
        "model {title}. Choose a Fashion-MNIST model in the sidebar to see it.",
        "这一部分使用 Fashion-MNIST 模型及其数据（{why}），不适用于 ImageNet 模型 {title}。请在侧边栏选择一个 "
        "Fashion-MNIST 模型来查看。",
    ),
})
