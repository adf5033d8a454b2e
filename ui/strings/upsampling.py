"""Strings of the Upsampling page (keys "up.")."""

STRINGS: dict[str, tuple[str, str]] = {
    "up.title": ("Upsampling", "上采样"),
    "up.intro": (
        "Pooling and strided convolutions make feature maps smaller (28 → 14 → 7). **Upsampling** makes them "
        "larger again: \"上采样是指将特征图的分辨率还原到原始图片的分辨率大小\" — bringing a feature map back to the "
        "resolution of the original image, e.g. to see where in the picture a feature fired, or in networks that "
        "output an image (segmentation, super-resolution).",
        "池化和带步长的卷积会让特征图变小（28 → 14 → 7）。**上采样**则让它重新变大：上采样是指将特征图的分辨率还原到"
        "原始图片的分辨率大小。比如用来查看某个特征在原图的哪个位置被激活，或用在输出一张图的网络里（图像分割、超分辨率"
        "）。"),
    "up.checker.header": ("The checkerboard effect of a transposed convolution", "转置卷积的棋盘效应"),
    "up.checker.intro": (
        "A transposed convolution stamps the kernel, scaled by each input value, onto the output, moving s pixels "
        "per input pixel. Here the input is a constant 5x5 map of ones and the kernel is all ones, so each "
        "output pixel shows **how many stamps overlap** there.",
        "转置卷积把卷积核乘以每个输入值后“盖章”到输出上，每个输入像素移动 s 个输出像素。这里输入是全为 1 的 5x5 常数图"
        "，"
        "卷积核也全为 1，所以每个输出像素显示的是那里**有几个“章”重叠**。"),
    "up.checker.fig": ("k = {k}, stride {s} on a {n}x{n} constant · {shape}", "k = {k}，步长 {s}，{n}x{n} 常数输入 · "
                                                                              "{shape}"),
    "up.checker.caption": (
        "Left: kernel 3 with stride 2, the counts alternate 1, 2, 1, 2 … (4 where two such rows cross): a constant "
        "input comes out as a checkerboard. Right: kernel 4 with stride 2 (padding 1): every pixel gets 2 × 2 = 4 "
        "stamps except at the border, so the pattern disappears.",
        "左：卷积核 3、步长 2，重叠次数交替为 1、2、1、2……（两个方向都为 2 处是 4）：常数输入变成了棋盘格。右：卷积核 4"
        "、"
        "步长 2（填充 1）：除边缘外每个像素都得到 2 × 2 = 4 个“章”，图案消失。"),
    "up.checker.why": (
        "When the kernel size is not divisible by the stride, some output positions are covered by more kernel "
        "copies than their neighbours. A trained transposed convolution must learn weights that cancel this, which "
        "it often does only partly: generated images then show a faint grid. Common remedies: a kernel size "
        "divisible by the stride (4 with stride 2), or nearest/bilinear upsampling followed by an ordinary "
        "convolution.",
        "当卷积核大小不能被步长整除时，某些输出位置被覆盖的次数比相邻位置多。训练好的转置卷积必须学到能抵消这种不均匀的"
        "权重，"
        "但往往只能部分做到，于是生成的图像会出现淡淡的网格。常见的解决办法：让卷积核大小能被步长整除（步长 2 配卷积核 "
        "4），"
        "或者先做最近邻/双线性上采样，再接一个普通卷积。"),
    "up.real.header": ("Three ways to upsample a real feature map", "对真实特征图做上采样的三种方法"),
    "up.no_maps": ("the model has no feature maps (it starts by flattening the image), so the input image is used.",
                   "该模型没有特征图（它一开始就把图片展平），因此这里使用输入图片。"),
    "up.scale": ("Scale factor", "放大倍数"),
    "up.real.intro": (
        "Channel {c} of **{layer}** is a {n}x{n} map; each method makes it {m}x{m}. **Nearest** copies every value "
        "into an s×s block: out[i, j] = in[⌊i/s⌋, ⌊j/s⌋]. **Bilinear** mixes the two nearest values along each axis "
        "by distance. A **transposed convolution** stamps a kernel per input value; its kernel is learned when it "
        "is part of a network (here: a fixed kernel you choose).",
        "**{layer}** 的第 {c} 个通道是一张 {n}x{n} 的特征图；每种方法都把它放大到 {m}x{m}。**最近邻**把每个值复制成一个"
        " s×s "
        "的块：out[i, j] = in[⌊i/s⌋, ⌊j/s⌋]。**双线性**在每个方向上按距离混合最近的两个值。**转置卷积**对每个输入值“盖”"
        "一次"
        "卷积核；在网络中它的卷积核是学出来的（这里用你选的固定卷积核）。"),
    "up.kernel": ("Transposed-conv kernel", "转置卷积的卷积核"),
    "up.kernel.bilinear": ("bilinear weights", "双线性权重"),
    "up.kernel.ones": ("all ones", "全为 1"),
    "up.k": ("kernel size k", "卷积核大小 k"),
    "up.p": ("padding p", "填充 p"),
    "up.op": ("output_padding", "output_padding"),
    "up.err.positive": ("Kernel size and stride must be at least 1, padding and output_padding at least 0.",
                        "卷积核大小和步长至少为 1，填充和 output_padding 至少为 0。"),
    "up.err.output_padding": ("output_padding ({op}) must be smaller than the stride ({s}).",
                              "output_padding（{op}）必须小于步长（{s}）。"),
    "up.err.too_small": ("With k = {k}, stride {s}, padding {p} the output would be empty: lower the padding.",
                         "k = {k}、步长 {s}、填充 {p} 时输出为空：请减小填充。"),
    "up.formula": (
        "Transposed convolution size, out = (n − 1)·s − 2p + d·(k − 1) + output_padding + 1: **{formula}**; "
        "a real `nn.ConvTranspose2d` returns **{real}** {ok}",
        "转置卷积的输出尺寸 out = (n − 1)·s − 2p + d·(k − 1) + output_padding + 1：**{formula}**；真实的 "
        "`nn.ConvTranspose2d` 输出 **{real}** {ok}"),
    "up.size_hint": ("To get exactly {target}, choose k = s + 2p − output_padding = {k}.",
                     "要正好得到 {target}，请取 k = s + 2p − output_padding = {k}。"),
    "up.range.shared": ("shared", "共用"),
    "up.panel.source": ("feature map", "特征图"),
    "up.panel.nearest": ("nearest", "最近邻"),
    "up.panel.bilinear": ("bilinear", "双线性"),
    "up.panel.transposed": ("transposed conv", "转置卷积"),
    "up.real.fig": ("{layer}, channel {c}: one colour range for all four", "{layer}，通道 {c}：四张图共用一个颜色范围"),
    "up.checks": ("Computed by hand above; largest difference from PyTorch's F.interpolate: nearest {near:.1e}, "
                  "bilinear {bil:.1e}.",
                  "上图是按公式手工计算的；与 PyTorch 的 F.interpolate 的最大差：最近邻 {near:.1e}，双线性 {bil:.1e}。"
                  ""),
    "up.kernel.show": ("The kernel", "卷积核"),
    "up.kernel.fig": ("{k}x{k} kernel", "{k}x{k} 卷积核"),
    "up.kernel.why": (
        "The bilinear weights w[a, b] = (1 − |a/f − c|)(1 − |b/f − c|), f = ⌈k/2⌉, make a transposed convolution "
        "with k = 4, stride 2, padding 1 compute exactly bilinear interpolation away from the border: this is how "
        "segmentation networks (FCN) initialise their learnable upsampling. With all ones, the overlap counts of "
        "the checkerboard section appear in the result.",
        "双线性权重 w[a, b] = (1 − |a/f − c|)(1 − |b/f − c|)，f = ⌈k/2⌉，能让 k = 4、步长 2、填充 1 的转置卷积在边缘以"
        "外"
        "恰好算出双线性插值：分割网络（FCN）就是这样初始化可学习的上采样层的。若卷积核全为 1，结果中就会出现上面棋盘效"
        "应里的"
        "重叠次数。"),
    "up.back.header": ("Back to the resolution of the input", "还原到输入图片的分辨率"),
    "up.back.fig": ("{n}x{n} map, bilinear to {side}x{side}, over the input", "{n}x{n} 特征图双线性放大到 {side}x{side}"
                                                                              "，叠加在输入上"),
    "up.back.caption": ("Upsampled to the image's own size, the map can be laid over the picture: the bright regions "
                        "are where this channel responded.",
                        "放大到与图片相同的尺寸后，特征图就能叠加在图片上：亮的区域就是该通道有响应的位置。"),
    "up.crop": (
        "The map is {side}x{side}: to keep the figures light, the three methods work on the {n}x{n} piece "
        "around its largest value (rows {r0}–{r1}, columns {c0}–{c1}).",
        "这张特征图是 {side}x{side}：为了让图形保持轻量，三种方法只处理其最大值周围的 {n}x{n} 小块"
        "（第 {r0}–{r1} 行，第 {c0}–{c1} 列）。"),
    "up.inverse.crop": (
        "Shown: the {n}x{n} piece of the {side}x{side} input starting at row {r0}, column {c0}, and the pooled "
        "cells that cover it.",
        "显示的是 {side}x{side} 输入中从第 {r0} 行、第 {c0} 列开始的 {n}x{n} 小块，以及覆盖它的池化结果。"),
    "up.inverse.overlap": (
        "{pool} uses {k}x{k} windows with stride {s} and padding {p}: its windows overlap, so nearest "
        "upsampling ×{s} copies each pooled value onto the {s}x{s} cells its window starts at, not onto the "
        "whole window. Each of those cells is inside the window, so the error is still never negative.",
        "{pool} 使用 {k}x{k} 的窗口、步长 {s}、填充 {p}：窗口之间有重叠，所以 ×{s} 的最近邻上采样把每个池化值复制到"
        "它的窗口起点处的 {s}x{s} 个格子上，而不是整个窗口。这些格子都在窗口之内，所以误差仍然不会为负。"),
    "up.inverse.header": ("Upsampling as the inverse of pooling and strided convolution",
                          "上采样与池化、带步长卷积的互逆关系"),
    "up.no_pool": ("the model has no max-pooling layer: it shrinks its maps with strided convolutions (its "
                   "adaptive average pools only make 1x1 channel summaries).",
                   "该模型没有最大池化层：它用带步长的卷积缩小特征图（它的自适应平均池化只生成 1x1 的通道概括）。"),
    "up.inverse.pool": ("Pooling layer", "池化层"),
    "up.inverse.intro": (
        "Real shapes: the input of **{pool}** (channel {c}) is {a}x{a}; pooling with stride {s} gives {b}x{b}; "
        "nearest upsampling ×{s} gives {a}x{a} again. The **shape** is restored, the **values** are not:",
        "真实的形状：**{pool}** 的输入（通道 {c}）是 {a}x{a}；步长 {s} 的池化得到 {b}x{b}；再做 ×{s} 的最近邻上采样，"
        "又回到 {a}x{a}。**形状**还原了，**数值**却没有："),
    "up.panel.before": ("before pooling", "池化前"),
    "up.panel.pooled": ("max-pooled", "最大池化后"),
    "up.panel.restored": ("nearest ×{s}", "最近邻 ×{s}"),
    "up.inverse.fig": ("{pool}, channel {c}: pooling then upsampling", "{pool}，通道 {c}：先池化再上采样"),
    "up.inverse.error_fig": ("restored − original · {shape}", "还原结果 − 原图 · {shape}"),
    "up.inverse.stats": (
        "Mean |error| **{mae:.4f}**, largest **{max:.4f}**; **{exact:.0%}** of the pixels came back exactly (the "
        "maximum of each 2×2 window, and ties). Max pooling keeps one value of four: the other three are lost and "
        "nearest upsampling replaces them with the maximum, so the error is never negative.",
        "平均 |误差| **{mae:.4f}**，最大 **{max:.4f}**；**{exact:.0%}** 的像素被准确还原（即每个 2×2 窗口中的最大值，以"
        "及"
        "与之相等的值）。最大池化在四个值中只保留一个，另外三个丢失了，最近邻上采样用最大值填补它们，所以误差不会是负数"
        "。"),
    "up.inverse.strided": (
        "Strided convolution works the same way: Conv2d(k=3, stride 2, padding 1) takes {n} to ⌊({n} + 2 − 3)/2⌋ + 1 "
        "= **{down}** (real: {real_down}); ConvTranspose2d(k=3, stride 2, padding 1, output_padding {op}) takes it "
        "back: ({down} − 1)·2 − 2 + 2 + {op} + 1 = **{back}** (real: {real_back}).",
        "带步长的卷积也是如此：Conv2d(k=3，步长 2，填充 1) 把 {n} 变成 ⌊({n} + 2 − 3)/2⌋ + 1 = **{down}**（实际："
        "{real_down}）；"
        "ConvTranspose2d(k=3，步长 2，填充 1，output_padding {op}) 再把它变回 ({down} − 1)·2 − 2 + 2 + {op} + 1 = "
        "**{back}**（实际：{real_back}）。"),
    "up.inverse.adjoint": (
        "With the same weights, ⟨conv(x), y⟩ = {lhs:.6f} and ⟨x, convT(y)⟩ = {rhs:.6f}: the transposed convolution "
        "is the transpose (adjoint) of the convolution, not its inverse; convT(conv(x)) differs from x by "
        "{err:.3f} on average.",
        "权重相同时，⟨conv(x), y⟩ = {lhs:.6f}，⟨x, convT(y)⟩ = {rhs:.6f}：转置卷积是卷积的转置（伴随），而不是它的逆；"
        "convT(conv(x)) 与 x 平均相差 {err:.3f}。"),
    "up.inverse.why": (
        "Downsampling throws information away (pooling keeps the strongest response of each window, a stride-2 "
        "convolution looks at only every second position), so no upsampling can recover the exact map. Networks "
        "that need the detail back, such as U-Net, pass the earlier high-resolution maps forward (skip "
        "connections) and let learned transposed convolutions or upsampling + convolution combine them.",
        "下采样会丢弃信息（池化只保留每个窗口中最强的响应，步长为 2 的卷积只看每隔一个的位置），所以任何上采样都无法精"
        "确还原"
        "原来的特征图。需要找回细节的网络（例如 U-Net）会把前面高分辨率的特征图直接传到后面（跳跃连接），再用可学习的转"
        "置卷积"
        "或“上采样 + 卷积”把它们结合起来。"),
}
