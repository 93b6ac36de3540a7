"""Range checks of a transformer's settings, made when it is built: values
that would otherwise fail at the first forward with a raw reshape error, or
train on NaN without a word."""
import numbers


def check_transformer(owner: str, embed_dims: int, num_heads: int,
                      drop_path_rate: float = 0., depth: int = None) -> None:
    """Raise a ValueError naming ``owner`` (e.g. ``backbone``) and the value
    when ``embed_dims`` is not split evenly into ``num_heads``, when
    ``drop_path_rate`` is outside [0, 1) or when ``depth`` < 1."""
    if not isinstance(num_heads, numbers.Integral) or num_heads < 1:
        raise ValueError(f'{owner} num_heads={num_heads!r}: expected an int >= 1')
    if embed_dims % num_heads:
        raise ValueError(
            f'{owner} embed_dims={embed_dims} is not divisible by num_heads={num_heads}: '
            f'each head gets embed_dims / num_heads channels (e.g. num_heads='
            f'{_divisor_near(embed_dims, num_heads)})')
    if not isinstance(drop_path_rate, numbers.Real) or not 0 <= drop_path_rate < 1:
        raise ValueError(
            f'{owner} drop_path_rate={drop_path_rate!r}: expected a probability in [0, 1) '
            '(stochastic depth drops a block with this probability; >= 1 drops every '
            'residual branch, < 0 is no probability)')
    if depth is not None and depth < 1:
        raise ValueError(f'{owner} depth={depth}: expected >= 1 block')


def _divisor_near(embed_dims: int, num_heads: int) -> int:
    return min((d for d in range(1, embed_dims + 1) if embed_dims % d == 0),
               key=lambda d: (abs(d - num_heads), -d))
