"""Strings of the Training lab page."""

STRINGS: dict[str, tuple[str, str]] = {
    "train.title": ("Training lab", "训练实验室"),
    "train.intro": (
        "Train a TinyVGG yourself, live, on real Fashion-MNIST images. The data is split in two: the **training "
        "set** fits the weights, the **validation set** (never used for an update) measures how well the model "
        "does on images it has not learned from. Training means: forward pass, loss, backpropagation, weight "
        "update, again and again, so that the loss goes down.",
        "亲手实时训练一个 TinyVGG，用的是真实的 Fashion-MNI"
        "ST 图片。数据分成两部分：**训练集**用于拟合模型参数（权重），"
        "**验证集**从不参与更新，用来评估模型在没学过的图片上表现如何。训练就是不断重复：前向传播、计算损失、反向传播、"
        "更新权重，使损失函数的值变小。"),
    "train.no_data": (
        "The Fashion-MNIST data set is not installed on this server ({hint}). You can still train on the 256 "
        "committed sample images as a tiny data set: expect quick overfitting and a noisy validation score.",
        "服务器上没有安装 Fashion-MNIST 数据集（{hint}）。你"
        "仍然可以用仓库自带的 256 张示例图片作为一个很小的数据集来训练："
        "它会很快过拟合，验证集准确率也会波动很大。"),
    "train.data_full": ("Data: a random subset of the 60,000 Fashion-MNIST training images.",
                        "数据：从 60,000 张 Fashion-MNIST 训练图片中随机抽取的子集。"),
    "train.data_samples": ("Data: the 256 committed sample images (tiny data set).",
                           "数据：仓库自带的 256 张示例图片（很小的数据集）。"),
    "train.settings": ("Settings", "设置"),
    "train.activation": ("Activation function", "激活函数"),
    "train.n_images": ("Images used (training + validation)", "使用的图片数（训练 + 验证）"),
    "train.val_ratio": ("Validation share", "验证集比例"),
    "train.epochs": ("Epochs", "训练轮数（epoch）"),
    "train.lr": ("Learning rate η", "学习率 η"),
    "train.optimizer": ("Optimizer", "优化器"),
    "train.opt.sgd": ("SGD", "SGD（随机梯度下降）"),
    "train.opt.momentum": ("SGD + momentum 0.9", "SGD + 动量 0.9"),
    "train.opt.adam": ("Adam", "Adam"),
    "train.seed": ("Random seed", "随机种子"),
    "train.seed_help": ("Same settings and seed → exactly the same curves.", "设置和种子相同 → 曲线完全相同。"),
    "train.noise": ("Label noise (share of training labels replaced by a wrong random class)",
                    "标签噪声（训练标签中被随机换成错误类别的比例）"),
    "train.dropout": ("Dropout before the classifier", "分类层之前的 Dropout"),
    "train.start": ("Start training", "开始训练"),
    "train.stop": ("Stop", "停止"),
    "train.split_info": ("{train} training images, {val} validation images, {steps} steps of {batch} images per "
                         "epoch; {noisy} training labels are wrong on purpose.",
                         "训练图片 {train} 张，验证图片 {val} 张；每轮 {steps} 步，每步 {batch} 张；"
                         "其中 {noisy} 个训练标签是故意设错的。"),
    "train.busy": ("{n} training runs are already going on on this server; please try again in a minute.",
                   "服务器上已有 {n} 个训练在进行，请一分钟后再试。"),
    "train.bad_settings": ("These settings cannot be trained: {error}", "这些设置无法训练：{error}"),
    "train.progress": ("Epoch {epoch}/{epochs} · step {step}/{steps} · {seconds:.0f} s",
                       "第 {epoch}/{epochs} 轮 · 第 {step}/{steps} 步 · {seconds:.0f} 秒"),
    "train.status.running": ("Training…", "训练中……"),
    "train.status.done": ("Finished after {epochs} epochs in {seconds:.0f} s.",
                          "训练完成：{epochs} 轮，用时 {seconds:.0f} 秒。"),
    "train.status.stopped": ("Stopped after {epochs} completed epochs.", "已停止，完成了 {epochs} 轮。"),
    "train.status.failed": ("The training failed: {error}", "训练失败：{error}"),
    "train.time_limit": ("The run reached the time limit of {seconds:.0f} s and was stopped, so that the "
                         "server stays responsive for everyone.",
                         "训练达到 {seconds:.0f} 秒的时间上限而被停止，以免服务器对其他人变慢。"),
    "train.curves": ("Loss and accuracy per epoch", "每轮的损失与准确率"),
    "train.loss": ("Cross-entropy loss", "交叉熵损失"),
    "train.accuracy": ("Accuracy", "准确率"),
    "train.train": ("training", "训练集"),
    "train.val": ("validation", "验证集"),
    "train.epoch": ("epoch", "轮"),
    "train.overfit_label": ("overfitting", "过拟合"),
    "train.overfit_yes": (
        "**Overfitting from epoch {epoch}:** the model keeps getting better on the training images but not on "
        "the validation images (accuracy gap now {gap:.1f} percentage points).",
        "**从第 {epoch} 轮开始过拟合：**模型在训练图片上越来越好，在"
        "验证图片上却没有变好（当前准确率差距 {gap:.1f} 个百分点）。"),
    "train.overfit_no": ("No overfitting so far (accuracy gap {gap:.1f} percentage points).",
                         "目前没有过拟合（准确率差距 {gap:.1f} 个百分点）。"),
    "train.overfit_rule": (
        "Rule used here: overfitting starts when the validation loss rises for 2 epochs in a row while the "
        "training loss keeps falling (marked at the validation minimum), or when training accuracy exceeds "
        "validation accuracy by more than 5 percentage points. Overfitting: a model that does well on the "
        "training set but not on data it has not seen. Try a small subset, many epochs and label noise to "
        "provoke it; dropout and more data reduce it.",
        "本页的判定规则：验证集损失连续 2 轮上升而训练集损失仍在"
        "下降（从验证损失最低点开始标记），或训练集准确率比验证集"
        "高出 5 个百分点以上，就认为开始过拟合。过拟合（overfitt"
        "ing）：模型在训练集上表现良好，但在没见过的数据上表现并不好。"
        "用少量图片、多轮训练和标签噪声可以引发它；Dropout 和更多数据可以减轻它。"),
    "train.kernels": ("First-layer kernels block1.conv1 · [16, 1, 3, 3] after epoch {epoch}",
                      "第一层卷积核 block1.conv1 · [16, 1, 3, 3]，第 {epoch} 轮之后"),
    "train.kernels_help": (
        "What a CNN learns are the numbers inside its kernels. Epoch 0 is the random start; watch edge and "
        "blob detectors (a positive side next to a negative side) appear as training goes on.",
        "CNN 学习和训练的就是卷积核中的所有权重数值。第 0 轮是随机初始化；训练过程中可以看到边缘检测器"
        "（一侧为正、一侧为负）逐渐出现。"),
    "train.kernel_epoch": ("Show kernels after epoch", "显示第几轮之后的卷积核"),
    "train.range_fixed": ("fixed (same scale for all epochs)", "固定（各轮使用同一刻度）"),
    "train.test_acc": ("Accuracy on {n} test images (never seen in training or validation): {acc:.1%}",
                       "在 {n} 张测试图片上的准确率（训练和验证中都没用过）：{acc:.1%}"),
    "train.keep": ("Use this model on every page", "在所有页面中使用这个模型"),
    "train.keep_help": ("Adds it to the sidebar's model list for this session (it is not saved on the server).",
                        "把它加入本次会话侧栏的模型列表（不会保存在服务器上）。"),
    "train.kept": ("Your model is now selected as **{name}**: every page explains it. Pick it or a committed "
                   "model in the sidebar.",
                   "你的模型已被选为 **{name}**：所有页面都会讲解它。可以在侧栏中切换回已提交的模型。"),
    "train.download_pt": ("Download weights (.pt state_dict)", "下载权重（.pt state_dict）"),
    "train.download_card": ("Download card (.json)", "下载说明卡（.json）"),
    "train.download_help": (
        "Load it with `m = TinyVGG('{act}', dropout={p}); m.load_state_dict(torch.load(path, weights_only=True))`.",
        "加载方法：`m = TinyVGG('{act}', dropout={p}); m.load_state_dict(torch.load(path, weights_only=True))`。"),
    "train.no_epoch": ("Stopped before the first epoch ended: there is no model to keep.",
                       "在第一轮结束前就停止了：没有可保留的模型。"),
    "train.why": (
        "Why a separate validation set? A model can memorise its training images, labels included: with label "
        "noise the training accuracy can climb even on labels that are wrong, while validation accuracy, measured "
        "on clean unseen images, does not follow. The validation set chooses settings and epochs; a final **test "
        "set** (here the first 2,000 of the 10,000 Fashion-MNIST test images) is looked at only once, at the end.",
        "为什么要单独的验证集？模型可以把训练图片连同标签一起“背下来"
        "”：有标签噪声时，训练准确率甚至能在错误的标签上继续上升，"
        "而在干净、没见过的图片上测得的验证准确率并不会跟着上升。验证集用来选择设置和训练轮数；最后的**测试集**"
        "（这里是 10,000 张 Fashion-MNIST 测试图片中的前 2,000 张）只在最后看一次。"),
    "train.modes": ("model.train() and model.eval()", "model.train() 与 model.eval()"),
    "train.modes_intro": (
        "`model.train()` and `model.eval()` only set a flag, `model.training`, on every module. Only layers that "
        "read the flag behave differently: **dropout** and **batch norm**. Layers used here (convolution, "
        "activation, pooling, linear) compute the same in both modes.",
        "`model.train()` 和 `model.eval()` 只是给每个模块设置"
        "一个标志 `model.training`。只有会读取这个标志的层才会表现不同："
        "**Dropout** 和 **批归一化（BatchNorm）**。这里用到的层（卷积、激活、池化、全连接）在两种模式下计算完全相同。"),
    "train.modes_none": (
        "The model **{name}** has no dropout or batch norm, so train and eval mode give exactly the same output "
        "(largest difference {diff:.1g}): only the flag changes. Add dropout below to see a difference.",
        "模型 **{name}** 没有 Dropout 也没有 BatchNorm，所以训练模式和评估模式的输出完全相同（最大差值 {diff:.1g}）："
        "变化的只有那个标志。在下方加入 Dropout 就能看到区别。"),
    "train.modes_dep": ("Layers that depend on the mode: {layers}", "受模式影响的层：{layers}"),
    "train.modes_add": ("Add dropout p to the current model for this demonstration (same weights)",
                        "为演示给当前模型加入 Dropout p（权重不变）"),
    "train.modes_own": ("The current model was trained with dropout p = {p}.",
                        "当前模型训练时使用了 Dropout p = {p}。"),
    "train.modes_result": (
        "Two forwards in **train** mode differ by up to {train:.3g} in the logits (each draws a new random mask); "
        "two forwards in **eval** mode differ by {eval:.1g}: dropout is switched off and the output is "
        "deterministic.",
        "两次 **训练模式** 的前向传播，logits 最多相差 {train:.3g}"
        "（每次随机生成新的掩码）；两次 **评估模式** 的前向传播相差 "
        "{eval:.1g}：Dropout 被关闭，输出是确定的。"),
    "train.modes_fig": ("Class probabilities of the current image, four forward passes",
                        "当前图片的类别概率：四次前向传播"),
    "train.fwd": ("{mode} #{n}", "{mode} 第 {n} 次"),
    "train.mode_train": ("train()", "train()"),
    "train.mode_eval": ("eval()", "eval()"),
    "train.modes_why": (
        "**Dropout** (training only) sets each value to 0 with probability p and multiplies the rest by 1/(1−p), "
        "so no unit can rely on one particular other unit: a regulariser against overfitting. In eval mode it "
        "passes everything through; the 1/(1−p) scaling during training keeps the expected value the same.\n\n"
        "**Batch norm** normalises with the mean and variance of the current batch while training and updates "
        "running averages; in eval mode it uses those stored averages, so one image alone gets a stable result.\n\n"
        "Why does a purely linear (or conv/ReLU/pool) model not need a training mode? Because none of its layers "
        "reads the flag: `netG.train()` matters only when the network contains dropout or batch norm. Calling "
        "`model.eval()` before testing is still the right habit, and `torch.no_grad()` (no gradients) is a "
        "separate switch.",
        "**Dropout**（只在训练时起作用）以概率 p 把每个值置为 0"
        "，其余的乘以 1/(1−p)，这样任何单元都不能依赖某个特定的单元："
        "这是一种防止过拟合的正则化方法。评估模式下它让所有值原样通过；训练时乘以 1/(1−p) 保证期望值不变。\n\n"
        "**批归一化（BatchNorm）**训练时用当前批次的均值和方"
        "差做归一化，并更新滑动平均；评估模式下使用保存下来的平均值，"
        "所以单独一张图片也能得到稳定的结果。\n\n"
        "为什么线性模型（或只有卷积/ReLU/池化的模型）不需要训练模式？因为它的层都不读取这个标志：`netG.train()` "
        "只有在网络包含 Dropout 或 BatchNorm 时才有影响。测试前调用 `model.eval()` 仍然是好习惯；"
        "`torch.no_grad()`（不计算梯度）是另一个独立的开关。"),
    "train.not_tinyvgg": ("dropout can only be inserted into a TinyVGG.", "只能给 TinyVGG 加入 Dropout。"),
    "train.zoo_note": (
        "The training lab always trains a new TinyVGG on Fashion-MNIST (28x28 gray images, 10 classes), whatever "
        "model is chosen in the sidebar: training {title} on ImageNet's 1.28 million photos would take days on "
        "many GPUs. A model you keep joins the Fashion-MNIST models in the sidebar. The last section, train() "
        "versus eval(), uses {title} and your photo.",
        "无论侧边栏选择的是哪个模型，训练实验室总是在 Fashion-MNIST（28x28 灰度图片，10 类）上训练一个新的 TinyVGG："
        "在 ImageNet 的 128 万张照片上训练 {title} 需要很多块 GPU 跑好几天。你保留的模型会加入侧边栏的 "
        "Fashion-MNIST 模型中。最后一部分（train() 与 eval()）使用 {title} 和你的照片。"),
    "train.zoo_modes_dep": ("{n} layers of this network depend on the mode (types: {kinds}).",
                            "这个网络中有 {n} 个层受模式影响（类型：{kinds}）。"),
    "train.zoo_modes_result": (
        "In **train** mode batch norm normalizes with the mean and variance of this one image instead of the "
        "stored averages, and dropout drops values: the logits differ from **eval** mode by up to {diff:.3g}. "
        "Two train-mode forwards differ by {train:.3g} (only dropout is random); two eval-mode forwards by "
        "{eval:.1g}.",
        "在**训练模式**下，BatchNorm 用这一张图片自己的均值和方差做归一化，而不是保存的平均值，Dropout 也会丢弃数值："
        "logits 与**评估模式**最多相差 {diff:.3g}。两次训练模式的前向传播相差 {train:.3g}（只有 Dropout 是随机的）；"
        "两次评估模式的前向传播相差 {eval:.1g}。"),
    "train.zoo_modes_fig": ("Probabilities of the {k} most likely classes (eval mode), four forward passes",
                            "最可能的 {k} 个类别（评估模式）的概率：四次前向传播"),
}
