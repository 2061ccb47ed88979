"""The gradient of something computed from a network's output with respect to what one of
its layers put out (its embedding, mostly): for first-order estimates (the flip search's
HotFlip ranking) and for watching gradients vanish along a headline (the experiments)."""

import torch


def layer_gradient(model, layer, inputs, objective):
    """d objective(model(*inputs)) / d (layer's output), shaped as that output.

    The layer's output is caught with a forward hook while the model runs once; the hook
    is removed whatever happens. objective maps the model's output to a scalar tensor.
    """
    caught = {}
    hook = layer.register_forward_hook(lambda module, args, output: caught.update(output=output))
    try:
        output = model(*inputs)
    finally:
        hook.remove()
    (gradient,) = torch.autograd.grad(objective(output), caught["output"])
    return gradient
