"""Consume a Stoker worker's batches from Python: zero-copy views into its shared-memory pool.

`Channel(dir)` attaches to `stoker worker --sink shm --shm-dir DIR` (or `DIR/rank-r` of `stoker local --sink shm`);
`stoker.torch.StokerDataset` wraps it as a PyTorch IterableDataset with state_dict()/load_state_dict().
"""

from .channel import Batch, Channel, rank_dir
from .errors import StokerError, ViewStillHeld, WorkerGone

__all__ = ["Batch", "Channel", "rank_dir", "StokerError", "ViewStillHeld", "WorkerGone"]
