"""Strings of the Backpropagation page (keys "bp.")."""

STRINGS: dict[str, tuple[str, str]] = {
    "bp.title": ("Backpropagation", "反向传播"),
    "bp.intro": (
        "Training needs ∂loss/∂w and ∂loss/∂b for every weight w and bias b: how much the loss changes when that "
        "parameter changes a tiny bit. Backpropagation gets them all in one backward pass: it starts at the loss "
        "and passes the gradient back through the network layer by layer, using the chain rule at every step.",
        "训练需要每个权重 w 和偏置 b 的 ∂loss/∂w、∂loss/∂b：参数增加一个微小变化时，损失函数会变化多少。"
        "反向传播一次就能算出全部梯度：从损失函数出发，把梯度信息沿着网络层反向传递，每一步都用链式法则。"),
    "bp.tab.gradient": ("Derivative & gradient", "导数与梯度"),
    "bp.tab.chain": ("Chain rule", "链式法则"),
    "bp.tab.scalar": ("backward() needs a scalar", "backward() 需要标量"),
    "bp.tab.model": ("Your model: graph & check", "你的模型：计算图与检验"),
    # --- derivative, differential, gradient, descent
    "bp.grad.defs": (
        "- **Derivative = rate of change**: how fast f changes per unit of w at this point.\n"
        "- **Differential = amount of change**: df = f′(w)·dw, the change the derivative predicts for a step dw.\n"
        "- **Partial derivative** ∂f/∂w₁: the derivative with respect to one variable while the others stay fixed.\n"
        "- **Gradient** ∇f = (∂f/∂w₁, ∂f/∂w₂): the vector of all partial derivatives. It points where f rises "
        "fastest (the largest directional derivative), so gradient descent steps the other way: "
        "w ← w − η·∇f(w).",
        "- **导数表示变化率**：在这一点上，w 每变化一个单位，f 变化多快。\n"
        "- **微分表示变化量**：df = f′(w)·dw，即导数对一步 dw 预测的变化量。\n"
        "- **偏导数** ∂f/∂w₁：多元函数在某一点处关于某一个变量的导数（其他变量保持不变）。\n"
        "- **梯度** ∇f = (∂f/∂w₁, ∂f/∂w₂)：包含所有偏导数的向量。沿梯度方向，方向导数最大、函数增加最快；"
        "所以梯度下降沿着梯度的反方向走：w ← w − η·∇f(w)。"),
    "bp.grad.surface": ("Loss surface", "损失曲面"),
    "bp.grad.surface.bowl": ("bowl (quadratic)", "碗形（二次函数）"),
    "bp.grad.surface.valley": ("curved valley (Rosenbrock-like)", "弯曲的山谷（类 Rosenbrock）"),
    "bp.grad.w1": ("start point w₁", "起点 w₁"),
    "bp.grad.w2": ("start point w₂", "起点 w₂"),
    "bp.grad.value": ("f(w)", "f(w)"),
    "bp.grad.norm": ("‖∇f‖ (steepest slope)", "‖∇f‖（最大的方向导数）"),
    "bp.grad.figure": ("{formula}<br>the red arrow is ∇f at the point (drawn scaled), white: descent path",
                       "{formula}<br>红色箭头是该点的梯度 ∇f（按比例缩放绘制），白色：梯度下降路径"),
    "bp.grad.path": ("gradient descent", "梯度下降"),
    "bp.grad.log_note": ("Colours show log₁₀(1 + f) so that the narrow valley floor is visible.",
                         "颜色表示 log₁₀(1 + f)，这样狭窄的谷底也能看清。"),
    "bp.diff.title": ("Derivative versus differential at this point", "这一点上的导数与微分"),
    "bp.diff.dw1": ("step dw₁", "步长 dw₁"),
    "bp.diff.dw2": ("step dw₂", "步长 dw₂"),
    "bp.diff.df": ("differential df = ∂f/∂w₁·dw₁ + ∂f/∂w₂·dw₂", "微分 df = ∂f/∂w₁·dw₁ + ∂f/∂w₂·dw₂"),
    "bp.diff.delta": ("real change Δf = f(w + dw) − f(w)", "真实变化量 Δf = f(w + dw) − f(w)"),
    "bp.diff.text": (
        "The partial derivatives are *rates* (units of f per unit of w); the differential "
        "df = {g1} · {dw1} + {g2} · {dw2} = **{df}** is the *amount* they predict, and the surface really changes "
        "by Δf = **{delta}**. Halve the step and the gap |Δf − df| = {gap} shrinks about four times: the "
        "differential is the best straight-line guess.",
        "偏导数是*变化率*（w 每变化一个单位，f 变化多少）；微分 df = {g1} · {dw1} + {g2} · {dw2} = **{df}** 是它"
        "预测的*变化量*，而曲面真实的变化量是 Δf = **{delta}**。把步长减半，差距 |Δf − df| = {gap} 大约缩小为四分之一："
        "微分是最好的直线近似。"),
    "bp.gd.title": ("Gradient descent from this point", "从这一点开始梯度下降"),
    "bp.gd.lr": ("learning rate η", "学习率 η"),
    "bp.gd.steps": ("steps", "步数"),
    "bp.gd.loss_title": ("f(w) per step (log scale)", "每一步的 f(w)（对数坐标）"),
    "bp.gd.step": ("step k", "第 k 步"),
    "bp.gd.blew_up": ("Diverged: after {k} steps the weights left every reasonable range, so descent stopped. "
                      "The learning rate is too large: each step overshoots the minimum by more than it gains.",
                      "发散：{k} 步之后权重已经大得离谱，所以停止了。学习率太大：每一步都越过最低点，越走越远。"),
    "bp.gd.diverged": ("Diverging: the loss went from {f0} to {fk} in {k} steps. Each step overshoots the minimum.",
                       "正在发散：{k} 步内损失从 {f0} 升到 {fk}。每一步都越过了最低点。"),
    "bp.gd.crawl": ("Crawling: after {k} steps the loss only fell from {f0} to {fk}. The learning rate is too "
                    "small; the steps are tiny.",
                    "爬得很慢：{k} 步之后损失只从 {f0} 降到 {fk}。学习率太小，步子太小。"),
    "bp.gd.ok": ("Converging: the loss fell from {f0} to {fk} in {k} steps.",
                 "正在收敛：{k} 步内损失从 {f0} 降到 {fk}。"),
    "bp.gd.critical": ("On this bowl the curvatures are λ = {lams}; descent diverges for η > 2/λ_max = {crit}.",
                       "这个碗的曲率是 λ = {lams}；η > 2/λ_max = {crit} 时梯度下降发散。"),
    "bp.gd.why": (
        "On a quadratic bowl f = ½ Σ λᵢ wᵢ² the gradient is (λᵢ wᵢ), so one step gives wᵢ ← (1 − η λᵢ)·wᵢ and after "
        "k steps wᵢ = (1 − η λᵢ)ᵏ · wᵢ⁽⁰⁾. It shrinks only when |1 − η λᵢ| < 1, i.e. 0 < η < 2/λᵢ: the steepest "
        "direction (largest λ) sets the limit. With a tiny η, the flat direction (small λ) barely moves. In the "
        "curved valley the best η changes from place to place, which is why optimizers adapt the step size.",
        "对二次碗 f = ½ Σ λᵢ wᵢ²，梯度是 (λᵢ wᵢ)，所以一步之后 wᵢ ← (1 − η λᵢ)·wᵢ，k 步之后 "
        "wᵢ = (1 − η λᵢ)ᵏ · wᵢ⁽⁰⁾。只有 |1 − η λᵢ| < 1，即 0 < η < 2/λᵢ 时才会缩小："
        "最陡的方向（最大的 λ）决定了上限。η 很小时，平缓的方向（小的 λ）几乎不动。"
        "在弯曲的山谷里，合适的 η 随位置变化，这就是优化器要自适应调整步长的原因。"),
    # --- chain rule
    "bp.chain.intro": (
        "A network with one input and two neurons: x → z1 = w1·x + b1 → h = σ(z1) → y = w2·h + b2 → "
        "L = (y − t)². Set the numbers; the forward pass fills the boxes, the backward pass (red, dashed) "
        "multiplies the local derivatives from L back to every weight.",
        "一个只有一个输入、两个神经元的网络：x → z1 = w1·x + b1 → h = σ(z1) → y = w2·h + b2 → L = (y − t)²。"
        "设定数值：前向传播填满每个方框，反向传播（红色虚线）从 L 出发，把局部导数一路相乘传回每个权重。"),
    "bp.chain.table": ("Backward pass: each gradient = upstream gradient × local derivative",
                       "反向传播：每个梯度 = 上游梯度 × 局部导数"),
    "bp.chain.col.grad": ("gradient", "梯度"),
    "bp.chain.col.upstream": ("upstream", "上游梯度"),
    "bp.chain.col.local": ("local derivative", "局部导数"),
    "bp.chain.col.product": ("product (by hand)", "乘积（手算）"),
    "bp.chain.col.autograd": ("torch.autograd", "torch.autograd"),
    "bp.chain.col.diff": ("|difference|", "|差|"),
    "bp.chain.match": ("By hand and torch.autograd agree: the largest difference is {diff:.1e} (≤ 1e-6).",
                       "手算与 torch.autograd 一致：最大差值为 {diff:.1e}（≤ 1e-6）。"),
    "bp.chain.mismatch": ("By hand and torch.autograd differ by {diff:.1e}.",
                          "手算与 torch.autograd 相差 {diff:.1e}。"),
    "bp.chain.why": (
        "Each node only knows its own local derivative: ∂y/∂h = w2, ∂h/∂z1 = σ(z1)(1 − σ(z1)), ∂z1/∂w1 = x. "
        "The chain rule multiplies them: ∂L/∂w1 = ∂L/∂y · ∂y/∂h · ∂h/∂z1 · ∂z1/∂w1. Backpropagation computes "
        "the products from the loss backwards, so ∂L/∂z1 is computed once and reused for w1, b1 and x. "
        "Note σ′ ≤ 0.25: every sigmoid on the way multiplies the gradient by at most a quarter, the reason deep "
        "sigmoid networks learn slowly in their early layers.",
        "每个节点只知道自己的局部导数：∂y/∂h = w2，∂h/∂z1 = σ(z1)(1 − σ(z1))，∂z1/∂w1 = x。链式法则把它们相乘："
        "∂L/∂w1 = ∂L/∂y · ∂y/∂h · ∂h/∂z1 · ∂z1/∂w1。反向传播从损失开始往回计算这些乘积，所以 ∂L/∂z1 只算一次，"
        "就能给 w1、b1 和 x 重复使用。注意 σ′ ≤ 0.25：路上每经过一个 sigmoid，梯度最多只剩四分之一，"
        "这就是深层 sigmoid 网络前几层学得很慢的原因。"),
    "bp.chain.code": ("The same in PyTorch", "在 PyTorch 中"),
    # --- scalar backward
    "bp.scalar.intro": (
        "PyTorch's autograd engine can only compute the gradient of a scalar output. Calling `.backward()` on a "
        "non-scalar (a tensor with several elements) raises an error: autograd would need a whole Jacobian "
        "(every output with respect to every input), not one gradient. So the vector must first be turned into a "
        "scalar, for example by adding all its elements, or you say how to weight the outputs.",
        "PyTorch 的自动微分引擎只能计算标量输出的梯度。如果你在一个非标量值（如一个有多个元素的张量）上调用 "
        "`.backward()`，就会出错：这需要一整个雅可比矩阵（每个输出对每个输入的导数），而不是一个梯度。"
        "所以需要先将向量转换为一个标量值，比如将向量的所有元素相加；或者告诉它各个输出的权重。"),
    "bp.scalar.x": ("x (a few numbers, separated by commas)", "x（几个数，用逗号分隔）"),
    "bp.scalar.v": ("weights v for gradient= / grad_outputs= (same length as x)",
                    "gradient= / grad_outputs= 用的权重 v（长度与 x 相同）"),
    "bp.scalar.try": ("1. Call backward() on the vector y = x² for real:", "1. 真的在向量 y = x² 上调用 backward()："),
    "bp.scalar.error_caption": ("This is the real message PyTorch raised, caught by the page.",
                                "这是 PyTorch 真实抛出的错误信息，被本页捕获。"),
    "bp.scalar.no_error": ("With a single element y is already a scalar, so backward() works: enter two or more "
                           "numbers to see the error.",
                           "只有一个元素时 y 已经是标量，backward() 可以运行：请输入两个或更多数字来查看错误。"),
    "bp.scalar.fix_sum": ("2. Fix one: sum to a scalar L = Σ yᵢ first. Then ∂L/∂xⱼ = 2xⱼ:",
                          "2. 方法一：先求和得到标量 L = Σ yᵢ。于是 ∂L/∂xⱼ = 2xⱼ："),
    "bp.scalar.fix_weights": (
        "3. Fix two: pass v = ∂L/∂y yourself (`gradient=` in backward, `grad_outputs=` in autograd.grad). "
        "The result is vⱼ·2xⱼ, the gradient of the scalar v·y (a vector–Jacobian product):",
        "3. 方法二：自己传入 v = ∂L/∂y（backward 的 `gradient=`，autograd.grad 的 `grad_outputs=`）。"
        "结果是 vⱼ·2xⱼ，即标量 v·y 的梯度（向量-雅可比积）："),
    "bp.scalar.result": ("x.grad = {grad}", "x.grad = {grad}"),
    "bp.scalar.why": (
        "In training the loss is already a scalar (the mean over the batch), so `loss.backward()` just works. "
        "Summing is the special case v = (1, 1, …, 1). Backpropagation itself is a chain of such vector–Jacobian "
        "products: each layer receives ∂L/∂(its output) as v and hands ∂L/∂(its input) to the layer before it, "
        "never building a full Jacobian.",
        "训练时损失已经是标量（对一个批次取平均），所以 `loss.backward()` 可以直接运行。求和是 v = (1, 1, …, 1) "
        "的特例。反向传播本身就是一串这样的向量-雅可比积：每一层把 ∂L/∂(本层输出) 当作 v 接收，"
        "再把 ∂L/∂(本层输入) 传给前一层，从不构造完整的雅可比矩阵。"),
    "bp.scalar.err.empty": ("Enter at least one number.", "请至少输入一个数。"),
    "bp.scalar.err.not_number": ("“{text}” is not a list of numbers. Write numbers separated by commas, e.g. 1, 2, 3.",
                                 "“{text}” 不是一串数字。请用逗号分隔数字，例如 1, 2, 3。"),
    "bp.scalar.err.not_finite": ("Use finite numbers only (no inf or nan).", "只能使用有限的数（不能是 inf 或 nan）。"),
    "bp.scalar.err.too_long": ("At most {n} numbers, please.", "最多 {n} 个数。"),
    "bp.scalar.err.too_short": ("Enter at least one number.", "请至少输入一个数。"),
    "bp.scalar.err.length": ("v needs exactly {n} numbers, one per element of x.",
                             "v 需要恰好 {n} 个数，与 x 的元素一一对应。"),
    # --- your model
    "bp.model.intro": (
        "The real computation graph of **{model}** for the current image. Forward: values flow from x to the loss L. "
        "Backward: ∂L/∂L = 1 starts at L and the gradient flows back along the red arrows.",
        "**{model}** 处理当前图片时真实的计算图。前向传播：数值从 x 流向损失 L。反向传播：从 ∂L/∂L = 1 出发，"
        "梯度沿红色箭头反向流回。"),
    "bp.model.loss": ("Loss L", "损失 L"),
    "bp.model.loss.logit": ("class score z_t", "类别得分 z_t"),
    "bp.model.loss.cross_entropy": ("cross-entropy with label = target", "交叉熵（标签 = 目标类别）"),
    "bp.model.target_predicted": ("predicted class ({label})", "预测类别（{label}）"),
    "bp.model.graph": ("Computation graph", "计算图"),
    "bp.model.show_backward": ("show the backward pass", "显示反向传播"),
    "bp.model.graph_caption": (
        "Each box: layer · kind, its output shape, ‖∂L/∂out‖ = the size of the gradient at its output, and for "
        "layers with weights ‖∂L/∂W‖ (number of parameters). Orange = more gradient (log scale). L = {loss}.",
        "每个方框：层名 · 类型、输出形状、‖∂L/∂out‖ = 该层输出处梯度的大小；有权重的层还显示 ‖∂L/∂W‖（参数个数）。"
        "越橙色表示梯度越大（对数刻度）。L = {loss}。"),
    "bp.model.grad_label": ("‖∂L/∂out‖", "‖∂L/∂out‖"),
    "bp.model.param_label": ("‖∂L/∂W‖", "‖∂L/∂W‖"),
    "bp.model.fallback": ("torch.fx could not trace this model symbolically, so the graph shows its layers in the "
                          "order they ran.", "torch.fx 无法对这个模型做符号追踪，所以计算图按层的运行顺序显示。"),
    "bp.model.graph_why": (
        "The graph comes from torch.fx tracing a copy of the model: every node is an operation, every arrow a "
        "dependency. The norms come from the same single backward pass every page shares. A large ‖∂L/∂W‖ means "
        "a small change of those weights changes the loss a lot; a gradient that shrinks from layer to layer "
        "towards x is the vanishing-gradient problem (compare the sigmoid model).",
        "计算图由 torch.fx 对模型的副本做追踪得到：每个节点是一个运算，每条边是一个依赖关系。"
        "梯度范数来自所有页面共用的同一次反向传播。‖∂L/∂W‖ 大，说明这些权重的微小变化会让损失变化很大；"
        "梯度从后往前越传越小，就是梯度消失问题（可以对比 sigmoid 模型）。"),
    "bp.fd.title": ("Check autograd with finite differences", "用有限差分检验自动微分"),
    "bp.fd.intro": (
        "Nudge one real weight w up and down by h and measure the loss: (L(w + h) − L(w − h)) / 2h should equal "
        "the ∂L/∂w that backpropagation found. Computed on a float64 copy of the model; the shared model is not "
        "touched. The default index is the weight with the largest gradient in that layer.",
        "把一个真实的权重 w 增加和减少 h，测量损失：(L(w + h) − L(w − h)) / 2h 应当等于反向传播算出的 ∂L/∂w。"
        "在模型的 float64 副本上计算，共享的模型不受影响。默认的下标是该层梯度最大的权重。"),
    "bp.fd.layer": ("Layer", "层"),
    "bp.fd.param": ("Parameter", "参数"),
    "bp.fd.index": ("index {d} (0–{n})", "下标 {d}（0–{n}）"),
    "bp.fd.h": ("step h", "步长 h"),
    "bp.fd.w": ("w = {name}{index}", "w = {name}{index}"),
    "bp.fd.fd": ("finite difference", "有限差分"),
    "bp.fd.autograd": ("autograd (float64 copy)", "自动微分（float64 副本）"),
    "bp.fd.trace": ("autograd (shared trace)", "自动微分（共享的追踪记录）"),
    "bp.fd.rel": ("relative error", "相对误差"),
    "bp.fd.formula": ("L(w + h) = {lp}, L(w − h) = {lm}: (L(w + h) − L(w − h)) / (2h) = {diff} / (2 · {h}) = {fd}",
                      "L(w + h) = {lp}，L(w − h) = {lm}：(L(w + h) − L(w − h)) / (2h) = {diff} / (2 · {h}) = {fd}"),
    "bp.fd.zero": ("This weight's gradient is 0 for this image: the loss does not depend on it here (e.g. the "
                   "ReLU after it is off, or max pooling did not pick its output).",
                   "这个权重在这张图片上的梯度为 0：这里损失与它无关"
                   "（例如它后面的 ReLU 没有激活，或最大池化没有选中它的输出）。"),
    "bp.fd.sweep": ("Relative error against h", "相对误差随 h 的变化"),
    "bp.fd.why": (
        "The central difference is exact up to an error of order h² (the curvature of L), so large h is wrong. "
        "But L is computed with about 16 significant digits in float64; dividing a difference of nearly equal "
        "numbers by a tiny 2h magnifies that rounding, so very small h is wrong too. ReLU and max pooling have "
        "kinks: if w ± h crosses one, the difference jumps. Finite differences need two forward passes per weight "
        "(this model has {n:,}); backpropagation gets all of them from one backward pass.",
        "中心差分的误差量级是 h²（来自 L 的弯曲），所以 h 太大会不准。但 float64 只有约 16 位有效数字；"
        "两个几乎相等的数相减再除以很小的 2h，会把舍入误差放大，所以 h 太小也不准。ReLU 和最大池化有拐点："
        "如果 w ± h 跨过拐点，差分会跳变。有限差分每个权重要做两次前向传播（这个模型有 {n:,} 个参数），"
        "反向传播一次就能得到全部梯度。"),
    "bp.fd.none": ("This model has no layer with weights to check.", "这个模型没有带权重的层可供检验。"),
    # what generalizes to every model (ImageNet included)
    "bp.model.imagenet_scope": (
        "The chain-rule and scalar tabs compute every number by hand on tiny examples, and the step-by-step "
        "walk through a network's layers was written for the small Fashion-MNIST TinyVGG: those hand computations "
        "do not scale to {title}. What carries over is shown here: the order in which backward() visits the "
        "layers, one chosen layer's chain-rule step computed by hand and checked against torch.autograd.grad, and "
        "a finite-difference check of one weight (a few extra forward passes).",
        "“链式法则”和“标量”两个标签页在很小的例子上手算每一个数，逐层走过网络的讲解是为 Fashion-MNIST 的小型 "
        "TinyVGG 写的：这些手算无法扩展到 {title}。这里展示能推广的部分：backward() 访问各层的顺序、所选一层的链式"
        "法则一步（手算并与 torch.autograd.grad 对照），以及对一个权重的有限差分检验（只需几次额外的前向计算）。"),
    "bp.model.graph_too_big": (
        "The computation graph has {n} nodes, too many to draw legibly (at most {max}); the backward-order table "
        "below lists every layer instead.",
        "计算图有 {n} 个节点，太多了，无法清楚地画出来（最多 {max} 个）；下面的反向顺序表列出了每一层。"),
    "bp.order.title": ("Backward order: from the loss back to the input", "反向顺序：从损失回到输入"),
    "bp.order.intro": (
        "backward() visits the {n} recorded layer calls in reverse order of the forward pass. Each row is one "
        "chain-rule step: the layer receives ∂L/∂out from the layers after it and passes ∂L/∂in back.",
        "backward() 按前向传播的相反顺序访问记录下来的 {n} 次层调用。每一行是链式法则的一步：该层从后面的层接收 "
        "∂L/∂out，再把 ∂L/∂in 传回去。"),
    "bp.order.col.step": ("backward step", "反向步骤"),
    "bp.order.col.layer": ("layer", "层"),
    "bp.order.col.kind": ("kind", "类型"),
    "bp.order.col.shape": ("output shape", "输出形状"),
    "bp.order.col.grad": ("‖∂L/∂out‖", "‖∂L/∂out‖"),
    "bp.order.col.wgrad": ("‖∂L/∂W‖", "‖∂L/∂W‖"),
    "bp.order.not_stored": ("not stored (> 5M numbers)", "未保存（超过 500 万个数）"),
    "bp.local.title": ("One layer's chain-rule step, by hand and by autograd", "一层的链式法则步骤：手算与自动微分"),
    "bp.local.intro": (
        "Choose a layer. From its recorded input a and the gradient ∂L/∂out it received, its local derivative "
        "gives ∂L/∂a (passed on backwards) and ∂L/∂W (used by the optimizer). The textbook formula is compared "
        "with torch.autograd.grad run on this layer alone.",
        "选择一层。根据它记录下来的输入 a 和它收到的梯度 ∂L/∂out，它的局部导数给出 ∂L/∂a（继续向后传）和 ∂L/∂W"
        "（给优化器用）。下面把教科书公式与只对这一层运行的 torch.autograd.grad 进行对照。"),
    "bp.local.layer": ("Layer", "层"),
    "bp.local.formula.conv": (
        "Conv2d: ∂L/∂a = conv_transpose2d(∂L/∂out, W) (the gradient spreads back through the same kernels), "
        "∂L/∂W[o, i, u, v] = Σ_p ∂L/∂out[o, p] · patch_p(a)[i, u, v], ∂L/∂b_o = Σ_p ∂L/∂out[o, p].",
        "Conv2d：∂L/∂a = conv_transpose2d(∂L/∂out, W)（梯度沿同样的卷积核反向散开），"
        "∂L/∂W[o, i, u, v] = Σ_p ∂L/∂out[o, p] · patch_p(a)[i, u, v]，∂L/∂b_o = Σ_p ∂L/∂out[o, p]。"),
    "bp.local.formula.linear": ("Linear: ∂L/∂a = ∂L/∂out · W, ∂L/∂W = ∂L/∂outᵀ · a, ∂L/∂b = ∂L/∂out.",
                                "Linear：∂L/∂a = ∂L/∂out · W，∂L/∂W = ∂L/∂outᵀ · a，∂L/∂b = ∂L/∂out。"),
    "bp.local.formula.bn": (
        "BatchNorm2d (inference): ∂L/∂a = ∂L/∂out · γ/√(var + ε), ∂L/∂γ = Σ ∂L/∂out · (a − μ)/√(var + ε), "
        "∂L/∂β = Σ ∂L/∂out.",
        "BatchNorm2d（推理模式）：∂L/∂a = ∂L/∂out · γ/√(var + ε)，∂L/∂γ = Σ ∂L/∂out · (a − μ)/√(var + ε)，"
        "∂L/∂β = Σ ∂L/∂out。"),
    "bp.local.formula.maxpool": (
        "MaxPool2d: each window's gradient goes back only to the position of its maximum; the others get 0.",
        "MaxPool2d：每个窗口的梯度只传回最大值所在的位置，其余位置得到 0。"),
    "bp.local.formula.avgpool": (
        "AdaptiveAvgPool2d: each output's gradient is shared equally by the inputs of its bin, ∂L/∂out / |bin|.",
        "AdaptiveAvgPool2d：每个输出的梯度由它所在区域的输入平分，∂L/∂out / |区域|。"),
    "bp.local.formula.elementwise": ("{kind}: elementwise, ∂L/∂a = ∂L/∂out · f′(a).",
                                     "{kind}：逐元素运算，∂L/∂a = ∂L/∂out · f′(a)。"),
    "bp.local.formula.identity": ("{kind}: passes values through unchanged at inference, so ∂L/∂a = ∂L/∂out.",
                                  "{kind}：推理时原样传递数值，所以 ∂L/∂a = ∂L/∂out。"),
    "bp.local.formula.none": ("{kind}: no textbook formula here; autograd's ∂L/∂a is shown.",
                              "{kind}：这里没有教科书公式；显示自动微分的 ∂L/∂a。"),
    "bp.local.out_norm": ("‖∂L/∂out‖ received", "收到的 ‖∂L/∂out‖"),
    "bp.local.in_norm": ("‖∂L/∂in‖ passed back (autograd)", "传回的 ‖∂L/∂in‖（自动微分）"),
    "bp.local.diff": ("max |formula − autograd|", "最大 |公式 − 自动微分|"),
    "bp.local.check": ("Parameters, max |formula − autograd|: {params}.", "参数的最大 |公式 − 自动微分|：{params}。"),
    "bp.local.trace_check": (
        "The same layer-alone ∂L/∂W equals the gradient the full backward pass stored (max difference {diffs}).",
        "只对这一层算出的 ∂L/∂W 与完整反向传播保存的梯度一致（最大差值 {diffs}）。"),
    "bp.local.producer_same": (
        "This ∂L/∂in is exactly the ∂L/∂out that {producer} received (difference {diff:.1e}): the chain goes on "
        "there.",
        "这个 ∂L/∂in 正是 {producer} 收到的 ∂L/∂out（差值 {diff:.1e}）：链条在那里继续。"),
    "bp.local.producer_branch": (
        "{producer}'s output also feeds another branch (e.g. a residual shortcut), so the ∂L/∂out it received is "
        "this ∂L/∂in plus the other branch's gradient (difference {diff:.1e}): gradients add where paths join.",
        "{producer} 的输出还流向另一条分支（例如残差捷径），所以它收到的 ∂L/∂out 是这里的 ∂L/∂in 加上另一条分支的"
        "梯度（差值 {diff:.1e}）：路径汇合处梯度相加。"),
    "bp.fd.cost": (
        "For this large model the check makes a float64 copy and runs {n} extra forward passes (3 step sizes, "
        "a few seconds to a minute): switch it on below.",
        "对这个大模型，检验要做一个 float64 副本并额外进行 {n} 次前向计算（3 个步长，几秒到一分钟）：在下面打开它。"),
    "bp.fd.run": ("Run the finite-difference check", "运行有限差分检验"),
    "bp.fd.running": ("Running the finite-difference check…", "正在进行有限差分检验……"),
}
