"""Layers for images: convolution, max pooling and flattening (dropout is in :mod:`.dropout`).

Images are (n, channels, height, width). As everywhere in backproplab, a leading *model* axis k
runs a stack of networks at once: Conv2D's weights are (k, C_out, C_in, kh, kw), its input is
(n, C, H, W) shared by every network or (k, n, C, H, W), and its output is (k, n, C_out, Ho, Wo).
The layers without parameters work on whatever leading axes they are given.

The convolution is one matrix product. *im2col* copies every kh×kw patch of the (zero-padded)
input into a row of a matrix, so that sliding the kernel over the image becomes

    cols (n·Ho·Wo, C·kh·kw) @ Wᵀ (C·kh·kw, C_out)  →  z (n·Ho·Wo, C_out),

and backward is two more products and *col2im*, the adjoint of im2col: each row of dcols is
added back onto the patch it was copied from. Where patches overlap (a stride smaller than the
kernel) an input pixel receives the sum of several rows — the chain rule for a value used
more than once.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..errors import BackproplabError
from .activations import Buffers


def _pair(value, what):
    """An int or a pair of ints, as a pair of whole numbers >= 1 (>= 0 for padding)."""
    pair = (value, value) if np.isscalar(value) else tuple(value)
    low = 0 if what == "padding" else 1
    if len(pair) != 2 or any(int(v) != v or v < low for v in pair):
        raise BackproplabError(f"the {what} must be a whole number >= {low} or a pair of them, "
                               f"got {value!r}")
    return tuple(int(v) for v in pair)


def _image_shape(x, layer):
    """(C, H, W) of images (n, C, H, W) or (k, n, C, H, W); a clear error for anything else."""
    if x.ndim not in (4, 5):
        raise BackproplabError(
            f"{layer} takes images (n, channels, height, width), or (k, n, channels, height, "
            f"width) for a stack of k networks; got an array of shape {x.shape}"
        )
    return x.shape[-3:]


class Conv2D(Buffers):
    """2-D convolution (cross-correlation, as in every deep-learning library), with zero
    padding p and stride s:

        z[n, o, i, j] = b[o] + Σ_c Σ_u Σ_v W[o, c, u, v] · xp[n, c, s·i + u, s·j + v],

    xp being x with p zeros around each image. Shapes: x (n, C_in, H, W) or (k, n, C_in, H, W),
    W (k, C_out, C_in, kh, kw), b (k, C_out), z (k, n, C_out, Ho, Wo) with
    Ho = (H + 2p − kh) // s + 1 (and Wo likewise).

    Forward as a matrix product: cols = im2col(xp), (n·Ho·Wo, C_in·kh·kw); z = cols · Wᵀ + b.
    Backward: dW = gᵀ · cols,  db = Σ_{n,i,j} g,  dcols = g · W,  dx = col2im(dcols) without
    the padding, where g is grad_out as (n·Ho·Wo, C_out). Gradients accumulate as Dense's do
    (``fresh``, ``input_grad``).

    The plain version, the sum above as loops, is ``loop_conv`` in ``tests/test_conv.py``, which
    pins the forward; how this one is made fast: ``docs/performance.md``.
    """

    input_grad = True
    fresh = True

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, init="he"):
        for value, what in ((in_channels, "in_channels"), (out_channels, "out_channels")):
            if int(value) != value or value < 1:
                raise BackproplabError(f"{what} must be a whole number >= 1, got {value!r}")
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.kernel_size = _pair(kernel_size, "kernel size")
        self.stride = _pair(stride, "stride")
        self.padding = _pair(padding, "padding")
        self.init = init

    def param_shapes(self):
        return {"W": (self.out_channels, self.in_channels, *self.kernel_size),
                "b": (self.out_channels,)}

    def bind(self, params, grads):
        """Take views of the container's buffers; W and dW are also seen as (k, C_out, C·kh·kw)
        matrices, the shape the matrix products use."""
        self.W, self.b = params["W"], params["b"]
        self.dW, self.db = grads["W"], grads["b"]
        k = self.W.shape[0]
        self._W2 = self.W.reshape(k, self.out_channels, -1)
        self._dW2 = self.dW.reshape(k, self.out_channels, -1)
        assert np.shares_memory(self._W2, self.W) and np.shares_memory(self._dW2, self.dW)

    def initialize(self, rng, W, b):
        """Fill one model's W (C_out, C_in, kh, kw) and b (C_out,) in place, drawing from rng.

        As Dense's, with fan_in = C_in·kh·kw (the inputs each output sums over) and
        fan_out = C_out·kh·kw: He W ~ N(0, 2 / fan_in), Glorot W ~ U(−r, r) with
        r = √(6 / (fan_in + fan_out)). Biases start at zero.
        """
        kh, kw = self.kernel_size
        fan_in, fan_out = self.in_channels * kh * kw, self.out_channels * kh * kw
        if self.init == "he":
            W[...] = rng.normal(0.0, np.sqrt(2.0 / fan_in), W.shape)
        else:
            r = np.sqrt(6.0 / (fan_in + fan_out))
            W[...] = rng.uniform(-r, r, W.shape)
        b[...] = 0.0

    def output_shape(self, in_shape):
        """(C_out, Ho, Wo) for images of shape (C_in, H, W)."""
        c, h, w = in_shape
        (kh, kw), (sh, sw), (ph, pw) = self.kernel_size, self.stride, self.padding
        return self.out_channels, (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1

    def _check(self, x):
        c, h, w = _image_shape(x, "Conv2D")
        if c != self.in_channels:
            raise BackproplabError(f"Conv2D expects {self.in_channels} input channels, but the "
                                   f"images have {c} (shape {x.shape})")
        (kh, kw), (ph, pw) = self.kernel_size, self.padding
        if h + 2 * ph < kh or w + 2 * pw < kw:
            raise BackproplabError(f"a {kh}×{kw} kernel does not fit in {h}×{w} images padded "
                                   f"by {ph}, {pw}")
        if x.ndim == 5 and x.shape[0] != self.W.shape[0]:
            raise BackproplabError(f"images for a stack of {self.W.shape[0]} networks need a "
                                   f"leading axis of that length, got shape {x.shape}")

    def _make(self, x):
        self._key = x.shape, x.dtype
        lead, (c, h, w) = x.shape[:-3], x.shape[-3:]
        (kh, kw), (ph, pw) = self.kernel_size, self.padding
        _, ho, wo = self.output_shape((c, h, w))
        self._out_hw = ho, wo
        # the padded input: zeros once, the interior rewritten by every forward
        self._xp = np.zeros((*lead, c, h + 2 * ph, w + 2 * pw), x.dtype) if ph or pw else None
        self._cols = np.empty((*lead, ho, wo, c, kh, kw), x.dtype)  # (…, n, Ho, Wo, C, kh, kw)
        k, n = self.W.shape[0], lead[-1]
        self._z = np.empty((k, n * ho * wo, self.out_channels), x.dtype)
        self._dW_tmp = np.empty_like(self._dW2)
        self._dcols = np.empty((k, n * ho * wo, c * kh * kw), x.dtype)
        self._dxp = np.zeros((k, n, c, h + 2 * ph, w + 2 * pw), x.dtype)

    def forward(self, x):
        if (x.shape, x.dtype) != self._key:
            self._check(x)
            self._make(x)
        (kh, kw), (sh, sw), (ph, pw) = self.kernel_size, self.stride, self.padding
        ho, wo = self._out_hw
        xp = x
        if self._xp is not None:
            xp = self._xp
            xp[..., ph:ph + x.shape[-2], pw:pw + x.shape[-1]] = x
        # im2col: every window is a view (…, n, C, Ho, Wo, kh, kw); one copy orders each
        # patch's numbers as W's are ordered (C, kh, kw), after the patch's position (Ho, Wo)
        windows = sliding_window_view(xp, (kh, kw), axis=(-2, -1))[..., ::sh, ::sw, :, :]
        np.copyto(self._cols, np.moveaxis(windows, -5, -3))
        cols = self._cols.reshape(*x.shape[:-4], -1, self._dcols.shape[-1])
        self._cols2 = cols  # backward needs the patches, nothing else
        z = np.matmul(cols, self._W2.swapaxes(-1, -2), out=self._z)  # (k, n·Ho·Wo, C_out)
        z += self.b[:, None, :]
        n = x.shape[-4]
        return z.reshape(-1, n, ho, wo, self.out_channels).transpose(0, 1, 4, 2, 3)

    def backward(self, grad_out):
        k, n, c_out, ho, wo = grad_out.shape
        g = grad_out.transpose(0, 1, 3, 4, 2).reshape(k, n * ho * wo, c_out)
        cols = self._cols2
        if self.fresh:
            np.matmul(g.swapaxes(-1, -2), cols, out=self._dW2)
            np.add.reduce(g, axis=-2, out=self.db)
            self.fresh = False
        else:
            self._dW2 += np.matmul(g.swapaxes(-1, -2), cols, out=self._dW_tmp)
            self.db += g.sum(axis=-2)
        if not self.input_grad:
            return None
        dcols = np.matmul(g, self._W2, out=self._dcols)  # (k, n·Ho·Wo, C·kh·kw)
        (kh, kw), (sh, sw), (ph, pw) = self.kernel_size, self.stride, self.padding
        c = self.in_channels
        dcols = dcols.reshape(k, n, ho, wo, c, kh, kw)
        # col2im: kernel offset (u, v) of every patch came from pixel (s·i + u, s·j + v); one
        # strided slice per offset adds them all back (kh·kw slices, none per pixel or sample)
        dxp = self._dxp
        dxp.fill(0.0)
        for u in range(kh):
            for v in range(kw):
                dxp[..., u:u + sh * (ho - 1) + 1:sh, v:v + sw * (wo - 1) + 1:sw] += (
                    np.moveaxis(dcols[..., u, v], -1, -3))
        h, w = dxp.shape[-2] - 2 * ph, dxp.shape[-1] - 2 * pw
        return dxp[..., ph:ph + h, pw:pw + w]

    def __repr__(self):
        (kh, kw), (sh, sw), (ph, pw) = self.kernel_size, self.stride, self.padding
        return (f"Conv2D({self.in_channels}, {self.out_channels}, kernel_size=({kh}, {kw}), "
                f"stride=({sh}, {sw}), padding=({ph}, {pw}))")


class MaxPool2D(Buffers):
    """Max pooling over size×size windows, moved by ``stride`` (default: ``size``, windows that
    tile the image). a[…, i, j] = max over the window at (stride·i, stride·j); rows and columns
    that no whole window covers are dropped, as in PyTorch.

    Shapes: x (…, C, H, W) → a (…, C, Ho, Wo), Ho = (H − size) // stride + 1.
    Backward: each window's gradient goes to the input that was its maximum (where several tie,
    to the first of them in row order: one winner), zero to the others.
    """

    def __init__(self, size, stride=None):
        self.size = _pair(size, "pooling size")
        self.stride = self.size if stride is None else _pair(stride, "stride")

    def _make(self, x):
        self._key = x.shape, x.dtype
        (ph, pw), (sh, sw) = self.size, self.stride
        h, w = x.shape[-2:]
        if x.ndim < 3 or h < ph or w < pw:
            raise BackproplabError(f"MaxPool2D of size {ph}×{pw} needs images (…, channels, "
                                   f"height, width) at least that large, got shape {x.shape}")
        ho, wo = (h - ph) // sh + 1, (w - pw) // sw + 1
        # where in its image (as a flat index row·W + column) each window starts, and where
        # each of its size·size elements lies relative to that start
        self._start = (sh * np.arange(ho))[:, None] * w + sw * np.arange(wo)
        within = np.arange(ph * pw)
        self._offset = (within // pw) * w + within % pw
        self._overlap = sh < ph or sw < pw
        self._dx = np.zeros(x.shape, x.dtype)
        self._windows = np.empty((*x.shape[:-2], ho, wo, ph * pw), x.dtype)

    def forward(self, x):
        if (x.shape, x.dtype) != self._key:
            self._make(x)
        (ph, pw), (sh, sw) = self.size, self.stride
        view = sliding_window_view(x, (ph, pw), axis=(-2, -1))[..., ::sh, ::sw, :, :]
        windows = self._windows
        np.copyto(windows.reshape(view.shape), view)  # (…, Ho, Wo, size·size)
        self._argmax = windows.argmax(axis=-1)  # backward needs which input won, nothing else
        return np.take_along_axis(windows, self._argmax[..., None], axis=-1)[..., 0]

    def backward(self, grad_out):
        h, w = self._dx.shape[-2:]
        dx = self._dx.reshape(-1, h * w)
        dx.fill(0.0)
        where = (self._start + self._offset[self._argmax]).reshape(dx.shape[0], -1)
        g = grad_out.reshape(dx.shape[0], -1)
        if self._overlap:  # an input may win several windows: add up what each sends
            np.add.at(dx, (np.arange(dx.shape[0])[:, None], where), g)
        else:  # each input is in one window at most
            np.put_along_axis(dx, where, g, axis=-1)
        return self._dx

    def __repr__(self):
        return f"MaxPool2D({self.size}, stride={self.stride})"


class Flatten:
    """Images to feature vectors for a Dense layer: x (…, n, C, H, W) → a (…, n, C·H·W), in
    C, H, W order.   Backward: grad_out reshaped back to x's shape."""

    def forward(self, x):
        if x.ndim < 4:
            raise BackproplabError(f"Flatten takes images (…, n, channels, height, width), got "
                                   f"an array of shape {x.shape}")
        self._shape = x.shape
        return x.reshape(*x.shape[:-3], -1)

    def backward(self, grad_out):
        return grad_out.reshape(self._shape)

    def __repr__(self):
        return "Flatten()"
