"""Upload → ImageNet model input, with the weights' own preprocessing shown as steps.

torchvision's ``weights.transforms()`` (``ImageClassification``) does, for a colour image:

1. resize so that the *shorter* side is ``resize`` px (256), keeping the aspect ratio (anti-aliased;
   bilinear, or bicubic for EfficientNet);
2. centre crop to ``crop`` x ``crop`` (224 x 224);
3. scale the bytes to [0, 1]: v = p / 255;
4. normalize each colour channel c with the ImageNet statistics: x_c = (v_c − μ_c) / σ_c,
   μ = (0.485, 0.456, 0.406), σ = (0.229, 0.224, 0.225).

The same untrusted-bytes checks as the Fashion-MNIST pipeline apply (the shared decoder
:func:`explain.imaging.decode`, which also reduces large JPEGs while decoding); a grayscale file is
repeated into three channels first. A strip longer than MAX_ASPECT (100) times its width is first
centred on black to that ratio (:func:`explain.imaging.pad_to_aspect`): step 1 would otherwise make a
1024x1 strip 262,144 pixels long. The steps are done here with
``transforms.v2.functional`` so that each can be shown; a test checks that the result equals
``weights.transforms()`` applied to the same decoded image.
"""

from __future__ import annotations

import hashlib

import numpy as np
import torch
from PIL import Image
from torchvision.transforms import InterpolationMode
from torchvision.transforms.v2 import functional as TF

from explain.imaging import PreparedImage, Step, _thumb, decode, pad_to_aspect
from models.zoo import InputSpec  # plain data built from the weights' metadata; re-exported here


def to_tensor_steps(rgb: Image.Image, spec: InputSpec) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(resized uint8 [3,h,w], cropped uint8 [3,crop,crop], normalized float [3,crop,crop])."""
    img = TF.pil_to_tensor(rgb)
    resized = TF.resize(img, [spec.resize], interpolation=InterpolationMode(spec.interpolation), antialias=True)
    cropped = TF.center_crop(resized, [spec.crop])
    scaled = TF.to_dtype(cropped, torch.float32, scale=True)
    return resized, cropped, TF.normalize(scaled, list(spec.mean), list(spec.std))


def _hwc(t: torch.Tensor) -> np.ndarray:
    return t.permute(1, 2, 0).contiguous().numpy()


def normalized_view(x: torch.Tensor) -> np.ndarray:
    """The normalized input [3,H,W] as a picture: each channel stretched from its min..max to 0..255."""
    lo = x.amin(dim=(1, 2), keepdim=True)
    hi = x.amax(dim=(1, 2), keepdim=True)
    v = (x - lo) / (hi - lo).clamp_min(1e-12)
    return _hwc((v * 255).round().clamp(0, 255).to(torch.uint8))


def prepare_rgb(data: bytes, name: str, spec: InputSpec) -> PreparedImage:
    """Untrusted bytes → :class:`PreparedImage` for an ImageNet model (``tensor`` is [1, 3, crop, crop])."""
    img, meta = decode(data)
    steps = [Step("original", _thumb(img))]
    gray = img.mode != "RGB"
    rgb = img.convert("RGB")
    steps.append(Step("to_rgb", _thumb(rgb), applied=gray))
    resized, cropped, x = to_tensor_steps(pad_to_aspect(rgb), spec)
    steps.append(Step("resize_short", _thumb(Image.fromarray(_hwc(resized))),
                      params={"n": spec.resize, "w": int(resized.shape[2]), "h": int(resized.shape[1]),
                              "interp": spec.interpolation}))
    pixels = _hwc(cropped).copy()
    steps.append(Step("center_crop", pixels, params={"n": spec.crop}))
    steps.append(Step("normalized", normalized_view(x)))
    return PreparedImage(
        digest=hashlib.sha256(data).hexdigest(), name=name, format=meta["format"], mode=meta["mode"],
        size=meta["original_size"], frames=meta["frames"], steps=tuple(steps), pixels=pixels,
        tensor=x[None].contiguous(), inverted=False, notes=tuple(meta["notes"]), preprocess=spec.key,
    )
