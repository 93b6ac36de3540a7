from .knn import knn_accuracy
from .linear_probe import WEIGHT_DECAYS, extract_features, linear_probe, select_weight_decay
from .summary import format_cell, mean_std, summarise
from .tables import write_csv, write_markdown

__all__ = ['WEIGHT_DECAYS', 'extract_features', 'format_cell', 'knn_accuracy',
           'linear_probe', 'mean_std', 'select_weight_decay', 'summarise', 'write_csv',
           'write_markdown']
