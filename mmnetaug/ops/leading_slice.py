"""Loading stock tensors into, and wider tensors out of, the leading slice
of dynamic layers."""
import torch


class LeadingSliceLoadMixin:
    """Accept a state dict whose tensors are a leading slice of ours, or
    hold ours as their leading slice.

    A stock checkpoint (e.g. an ImageNet-pretrained MobileNetV2) holds base
    widths only. Copying it into the leading channels keeps the supernet's own
    initialisation for the extra wide channels, so users can start NetAug from
    pretrained weights. A wider supernet's checkpoint (a NetAug-pretrained
    classifier whose output stages were augmented too, loaded into a detection
    backbone whose output stages keep base width for a stock neck) gives its
    leading slice. Tensors of equal shape take the normal path; anything that
    is larger in one dimension and smaller in another is left to
    ``nn.Module`` to report as a size mismatch.
    """

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        own = list(self._parameters.items()) + list(self._buffers.items())
        for name, tensor in own:
            key = prefix + name
            if tensor is None or key not in state_dict:
                continue
            src = state_dict[key]
            if (not isinstance(src, torch.Tensor) or src.shape == tensor.shape
                    or src.dim() != tensor.dim()):
                continue
            if all(s >= t for s, t in zip(src.shape, tensor.shape)):
                state_dict[key] = src[tuple(slice(0, t)
                                            for t in tensor.shape)]
            elif all(s <= t for s, t in zip(src.shape, tensor.shape)):
                padded = tensor.detach().clone()
                padded[tuple(slice(0, s) for s in src.shape)] = src
                state_dict[key] = padded
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)
