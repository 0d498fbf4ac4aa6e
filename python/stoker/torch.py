"""PyTorch: `StokerDataset`, an IterableDataset over a Stoker worker's shared-memory channel.

Use it with `DataLoader(dataset, batch_size=None, num_workers=0)` (the worker already batches and reads ahead; the
samples are views of its shared pool, which a DataLoader worker process would have to copy). Each item is a
`stoker.Batch`: `batch.tensor(i)` / `batch.numpy(i)` view sample i in place, `batch.ids` names the samples.

Release: taking the next batch releases the previous one (so the loop holds one batch at a time), and
`state_dict()` releases the batch last yielded, counting it as consumed. Views of a batch must be dropped (or
copied) before that; a view still referenced raises `stoker.ViewStillHeld` naming the batch, which then stays held.
"""

import os
import shutil
import subprocess
import tempfile

import torch.utils.data

from .channel import Channel
from .errors import StokerError


class StokerDataset(torch.utils.data.IterableDataset):
    """Batches of one rank.

    Attach to a running worker: `StokerDataset(shm_dir=DIR)` (`DIR/rank-r` of `stoker local --sink shm`, or the
    `--shm-dir` of `stoker worker --sink shm`). Or start the worker as a child process: `StokerDataset(
    coordinator="host:7400", rank=r, listen="host:7410", job_token_file=..., stoker="launcher/target/stoker.jar")`;
    then `load_state_dict()` before iterating resumes the rank from a checkpoint's token (`--resume-from`).
    """

    def __init__(self, shm_dir=None, *, coordinator=None, rank=None, listen=None, job_token_file=None,
                 stoker=None, java="java", worker_args=(), attach_timeout=120.0):
        super().__init__()
        if (shm_dir is None) == (coordinator is None):
            raise ValueError("give shm_dir (attach to a running worker) or coordinator, rank and listen (start one)")
        self.shm_dir = shm_dir
        self.coordinator, self.rank, self.listen = coordinator, rank, listen
        self.job_token_file, self.stoker, self.java = job_token_file, stoker, java
        self.worker_args = list(worker_args)
        self.attach_timeout = attach_timeout
        self.resume_from = None
        self.channel = None
        self.process = None
        self._held = None
        self._own_dir = None

    def _start_worker(self):
        self._own_dir = tempfile.mkdtemp(prefix=f"stoker-rank{self.rank}-", dir="/dev/shm")
        command = ([self.java, "-jar", self.stoker] if str(self.stoker).endswith(".jar") else [self.stoker])
        command += ["worker", "--coordinator", self.coordinator, "--rank", str(self.rank), "--listen", self.listen,
                    "--sink", "shm", "--shm-dir", self._own_dir] + self.worker_args
        if self.job_token_file:
            command += ["--job-token-file", self.job_token_file]
        if self.resume_from:
            command += ["--resume-from", self.resume_from]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        return self._own_dir

    def _attach(self):
        if self.channel is None:
            directory = self.shm_dir if self.shm_dir is not None else self._start_worker()
            self.channel = Channel(directory, self.attach_timeout, process=self.process)
        return self.channel

    def release_held(self):
        """Release the batch last yielded, if still held."""
        held, self._held = self._held, None
        if held is not None and not held.released:
            try:
                held.release()
            except StokerError:
                self._held = held
                raise

    def __iter__(self):
        channel = self._attach()
        while True:
            self.release_held()
            batch = channel.take()
            if batch is None:
                return
            self._held = batch
            yield batch

    def state_dict(self):
        """Where this rank is, counting every batch yielded as consumed (the last one is released here)."""
        self.release_held()
        if self.channel is None:
            return {"resume_token": self.resume_from}
        return {"resume_token": self.channel.resume_token()}

    def load_state_dict(self, state):
        """Resume from a checkpoint's token: a worker this dataset starts gets `--resume-from TOKEN`; a job fed by
        `stoker local` is resumed with `stoker local --resume-from TOKEN` (the token is kept in `resume_from`)."""
        if self.channel is not None:
            raise StokerError("load_state_dict() must come before iteration starts")
        self.resume_from = state.get("resume_token")

    def close(self, exit_timeout=10.0):
        """Detach; a worker this dataset started is given `exit_timeout` seconds to exit by itself once its job
        ended (then its exit status is the job's), else it is stopped."""
        ended = self.channel is not None and self.channel.ended
        if self.channel is not None:
            self.channel.close()
            self.channel = None
        if self.process is not None:
            if ended:
                try:
                    self.process.wait(exit_timeout)
                except subprocess.TimeoutExpired:
                    pass
            if self.process.poll() is None:
                self.process.terminate()
            self.process.wait()
        if self._own_dir is not None:
            shutil.rmtree(self._own_dir, ignore_errors=True)
