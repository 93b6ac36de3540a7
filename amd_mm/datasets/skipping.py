"""Skip a training sample whose file cannot be read, log it, draw another."""
from mmengine.logging import MMLogger


class SkipUnreadableSamples:
    """A dataset mixin (before the dataset class in the bases) for
    pre-training on large, imperfect collections.

    When the pipeline fails on a sample's file with one of ``skip_errors``
    the warning ``skipped <kind> <path>: <reason> (<n> skipped so far)`` is
    logged through MMLogger and another random sample is drawn (MMEngine's
    refetch, at most ``max_refetch`` times in a row). ``n`` counts per
    process, i.e. per dataloader worker. When every sample has failed the
    run stops naming the source. In ``test_mode`` the error is raised
    instead: evaluation must not change its sample set silently.
    Programming errors (TypeError, KeyError, ...) still stop the run.
    """
    skip_errors: tuple = (OSError, RuntimeError, ValueError, EOFError)
    sample_kind: str = 'sample'
    path_key: str = 'img_path'

    def __init__(self, *args, **kwargs):
        self.num_skipped = 0
        self.failed = set()  # indices that failed at least once (this process)
        super().__init__(*args, **kwargs)

    def source(self) -> str:
        """Where the samples come from, as the config names it."""
        return f'{type(self).__name__}.data_root={self.data_root!r}'

    def prepare_data(self, idx):
        try:
            return super().prepare_data(idx)
        except self.skip_errors as error:
            if self.test_mode:
                raise
            self.num_skipped += 1
            self.failed.add(idx)
            if len(self.failed) >= len(self):
                raise RuntimeError(
                    f'every {self.sample_kind} of {self.source()} failed '
                    f'({len(self.failed)} of {len(self)}); the last: '
                    f'{type(error).__name__}: {error}') from error
            path = self.get_data_info(idx).get(self.path_key)
            reason = f'{type(error).__name__}: {error}'.splitlines()[0]
            MMLogger.get_current_instance().warning(
                f'skipped {self.sample_kind} {path}: {reason} '
                f'({self.num_skipped} skipped so far)')
            return None  # MMEngine's __getitem__ then draws another index
