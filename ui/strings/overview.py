"""Strings of the Overview page."""

STRINGS: dict[str, tuple[str, str]] = {
    "overview.title": ("CNN Lens", "CNN 透镜"),
    "overview.intro": (
        "Upload a photo, take one with the camera, or pick a sample. The network below is a small CNN "
        "(TinyVGG) really trained on Fashion-MNIST: 28x28 grayscale pictures of clothes in 10 classes. "
        "Every page then shows, layer by layer, what it does with *your* image.",
        "上传一张照片、用摄像头拍一张，或选一张示例。下面的网络是一个在 Fashion-MNIST（10 类服饰的 28x28 灰度图）"
        "上真实训练过的小型 CNN（TinyVGG）。之后每一页都会逐层展示它如何处理*你的*图片。"),
    "overview.steps": ("Preprocessing: from your file to the 28x28 input", "预处理：从你的文件到 28x28 的输入"),
    "overview.steps_help": (
        "Fashion-MNIST shows one light object on a black background, so a photo is turned grey, inverted when its "
        "background is light, cropped to the object, padded to a square and shrunk to 28x28. Finally each pixel "
        "p becomes x = (p/255 − {mean}) / {std}, the statistics of the training images.",
        "Fashion-MNIST 的图片是黑色背景上的一个浅色物体，所以照片会被转成灰度；背景较亮时反色；裁剪到物体并补成正方形；"
        "缩小到 28x28。最后每个像素 p 变为 x = (p/255 − {mean}) / {std}，即训练图片的统计量。"),
    "step.original": ("original", "原图"),
    "step.grayscale": ("grayscale", "灰度"),
    "step.inverted": ("inverted", "反色"),
    "step.cropped": ("cropped & square", "裁剪并补成正方形"),
    "step.resized": ("28x28 input", "28x28 输入"),
    "step.skipped": ("{step} (not needed)", "{step}（无需此步）"),
    "overview.file_info": ("{name}: {format}, mode {mode}, {w}x{h} pixels",
                           "{name}：{format}，模式 {mode}，{w}x{h} 像素"),
    "note.first_frame": ("Animated or multi-page file: the first frame is used.", "动画或多页文件：使用第一帧。"),
    "note.transparency": ("Transparent parts were placed on white.", "透明部分已放在白色背景上。"),
    "note.high_bit_depth": ("High bit depth: values were scaled by their range to 0–255.",
                            "高位深图片：数值已按其范围缩放到 0–255。"),
    "overview.prediction": ("Prediction", "预测结果"),
    "overview.topk": ("Top {k} classes of {model}", "{model} 的前 {k} 个类别"),
    "overview.out_of_domain": (
        "The model only knows 10 kinds of clothing, so for any image it answers one of them. A low top "
        "probability means it is unsure.",
        "模型只认识 10 种服饰，所以无论什么图片它都会回答其中之一。最高概率较低说明它不确定。"),
    "overview.architecture": ("Architecture: what each layer does to the shape", "网络结构：每一层如何改变形状"),
    "overview.col.layer": ("layer", "层"),
    "overview.col.kind": ("kind", "类型"),
    "overview.col.shape": ("output shape [N, C, H, W]", "输出形状 [N, C, H, W]"),
    "overview.col.params": ("parameters", "参数个数"),
    "overview.col.mean": ("mean output", "输出均值"),
    "overview.total_params": ("{n:,} parameters in total; the model file is {kb:.0f} KB.",
                              "共 {n:,} 个参数；模型文件 {kb:.0f} KB。"),
    "overview.explore": ("Explore each layer:", "逐层探索："),
    "overview.card": ("Model card", "模型卡片"),
    "overview.card_text": (
        "Trained on {train:,} Fashion-MNIST images ({val:,} held out for validation), {epochs} epochs, {opt}. "
        "Test accuracy on all {test:,} test images: **{acc:.2%}**.",
        "在 {train:,} 张 Fashion-MNIST 图片上训练（另留 {val:,} 张作验证），共 {epochs} 轮，{opt}。"
        "在全部 {test:,} 张测试图片上的准确率：**{acc:.2%}**。"),
    # The optimizer sentence of the card, from the card's config (the card's own "optimizer" text is English).
    "overview.card_optimizer_lab": (
        "{opt} (learning rate {lr:g}), batches of {batch}, {epochs} epochs in the training lab",
        "{opt}（学习率 {lr:g}），每批 {batch} 张，在训练实验室训练了 {epochs} 轮"),
    "overview.card_optimizer": (
        "Adam (learning rate {lr:g}, weight decay {wd:g}), batches of {batch}, learning rate lowered along a cosine "
        "curve to 0 over the {epochs} epochs",
        "优化器 Adam（学习率 {lr:g}，权重衰减 {wd:g}），每批 {batch} 张，学习率在 {epochs} 轮内沿余弦曲线降到 0"),
    "overview.net.title": ("Network at a glance", "网络一览"),
    "overview.net.intro": (
        "{model} on your image, left to right as the data flows: the input, every convolution, activation and "
        "pooling layer as a column of {k} of its channels (the strongest by mean output; an activation or pooling "
        "column keeps the channels of the column before it), then the class probabilities. Click a column, or a "
        "link below, to open that layer on its page.",
        "{model} 处理你的图片的全过程，按数据流从左到右：输入；每个卷积、激活、池化层各占一列，显示其 {k} 个通道"
        "（按平均输出取最强的；激活列和池化列沿用前一列的通道）；最后是类别概率。点击某一列或下方的链接，"
        "即可在对应页面打开该层。"),
    "overview.net.intro_stages": (
        "{model} has {n} convolution, activation and pooling layers: too many for one picture. So each column is "
        "one **stage** (a group of blocks working at one resolution) and shows the output of the stage's last "
        "layer, and only its **top {k} channels** by mean output. Left to right as the data flows; click a column, "
        "or a link below, to open that layer on its page.",
        "{model} 有 {n} 个卷积、激活和池化层，一张图放不下。所以每列代表一个**阶段**（在同一分辨率上工作的一组模块），"
        "显示该阶段最后一层的输出，而且只显示按平均输出排名**前 {k} 的通道**。按数据流从左到右；点击某一列或下方的"
        "链接，即可在对应页面打开该层。"),
    "overview.net.intro_units": (
        "{model} is a multilayer perceptron: it has no feature maps. Each column shows the units of one fully "
        "connected or activation layer as a grid of squares (row by row), then come the class probabilities. "
        "Click a column, or a link below, to open that layer on its page.",
        "{model} 是多层感知机，没有特征图。每列把一个全连接层或激活层的所有单元排成方格（逐行排列），最后是类别概率。"
        "点击某一列或下方的链接，即可在对应页面打开该层。"),
    "overview.net.colors": (
        "Colours: viridis for outputs that are never negative (dark = 0), blue–white–red for outputs with negative "
        "values (white = 0). Each column has its own range, printed under its shape (C×H×W, the batch of one left "
        "out).",
        "颜色：从不为负的输出用 viridis（深色 = 0），含负值的输出用蓝–白–红（白色 = 0）。每列有自己的取值范围，"
        "写在形状（C×H×W，省略批大小 1）的下方。"),
    "overview.net.input": ("input", "输入"),
    "overview.net.probs": ("class probabilities", "类别概率"),
    "overview.net.stem": ("stem", "起始层"),
    "overview.net.hover_maps": (
        "<b>{key}</b> ({kind}) · output [{shape}]<br>channels shown: {channels} of {n}<br>"
        "Click to open it on the page “{page}”.",
        "<b>{key}</b>（{kind}）· 输出 [{shape}]<br>显示的通道：{channels}（共 {n} 个）<br>点击在“{page}”页打开。"),
    "overview.net.hover_stage": (
        "<b>{stage}</b>: {layers} layers, the last is <b>{key}</b> ({kind}) · output [{shape}]<br>"
        "top {k} of {n} channels by mean output: {channels}<br>Click to open it on the page “{page}”.",
        "<b>{stage}</b>：{layers} 层，最后一层是 <b>{key}</b>（{kind}）· 输出 [{shape}]<br>"
        "按平均输出排名前 {k} 的通道（共 {n} 个）：{channels}<br>点击在“{page}”页打开。"),
    "overview.net.hover_units": (
        "<b>{key}</b> ({kind}) · output [{shape}]: {n} units<br>Click to open it on the page “{page}”.",
        "<b>{key}</b>（{kind}）· 输出 [{shape}]：{n} 个单元<br>点击在“{page}”页打开。"),
    "overview.net.hover_output": ("Click to open the output layer {key} on the page “{page}”.",
                                  "点击在“{page}”页打开输出层 {key}。"),
    "overview.net.links": ("Open a layer of the picture:", "打开图中的某一层："),
    "overview.net.link_help": ("Open {key} on the page “{page}”, already selected.",
                               "在“{page}”页打开 {key}（已选中）。"),
    "overview.net.none": ("This model has no layer to draw between its input and its output.",
                          "这个模型在输入和输出之间没有可画的层。"),
}
