from .merged_groups import MergedGroupsOptimWrapperConstructor

__all__ = ['MergedGroupsOptimWrapperConstructor']
