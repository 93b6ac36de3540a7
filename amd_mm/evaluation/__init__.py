from .encoder import build_encoder
from .knn import knn_accuracy
from .linear_probe import WEIGHT_DECAYS, extract_features, linear_probe, select_weight_decay
from .summary import format_cell, mean_std, summarise
from .tables import write_csv, write_markdown
from .video_probe import (build_video_backbone, load_clips, probe_video_encoder,
                          video_features)

__all__ = ['build_encoder', 'WEIGHT_DECAYS', 'build_video_backbone', 'extract_features', 'format_cell',
           'knn_accuracy', 'linear_probe', 'load_clips', 'mean_std', 'probe_video_encoder',
           'select_weight_decay', 'summarise', 'video_features', 'write_csv', 'write_markdown']
