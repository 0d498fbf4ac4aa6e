#!/usr/bin/env python3
"""Data-parallel training (torch.distributed, gloo) on Stoker batches: copy this and put your model in.

Each rank reads its own `stoker local --sink shm` channel (DIR/rank-r) through `stoker.torch.StokerDataset`; Stoker
gives every rank the same number of steps per epoch and every sample to exactly one rank once per epoch, so the
ranks' all-reduces line up with no sampler. The model is a toy linear regression whose targets are a fixed function
of each sample's bytes, so its loss really goes down.

Launch everything (the feed JVM and N ranks, one machine):

    python3 examples/python/ddp_train.py --dataset DIR --ranks 2 --epochs 2 --batch-size 16 --out runs/job1
    python3 examples/python/ddp_train.py --dataset DIR --ranks 2 --epochs 2 --batch-size 16 --out runs/job1 --resume

The second line restarts a job that died from its last checkpoint: `stoker local --resume-from TOKEN` with the
checkpoint's token, every rank loading the model, the optimizer and its dataset state.

Or start the feed yourself and launch the ranks with torchrun (or any launcher that sets RANK, WORLD_SIZE,
MASTER_ADDR, MASTER_PORT):

    ./stoker local --dataset DIR --workers 2 --epochs 2 --batch-size 16 --sink shm --shm-dir /dev/shm/job1
    torchrun --nproc-per-node 2 examples/python/ddp_train.py --shm-dir /dev/shm/job1 --out runs/job1
    # after a crash: stoker local ... --resume-from "$(python3 examples/python/ddp_train.py --out runs/job1 \
    #     --print-resume-token)", then torchrun ... --resume

What a rank writes in OUT: `rank-R.jsonl`, one line per step as it trains (epoch, step, loss, sample ids) and one per
event (start, checkpoint); `rank-R.json` at the end: the sample ids it trained per epoch, the loss curve, its step
count and a checksum of the final parameters (equal on every rank when DDP kept them in sync) — including what the
checkpoint it resumed from had trained. Every --checkpoint-every steps it checkpoints into OUT/checkpoints/step-N:
rank 0 the model and optimizer, every rank its `dataset.state_dict()` (the resume token, taken when all ranks are
at the same step, so any rank's token resumes the whole job) and what it trained so far; OUT/checkpoints/latest names
the newest complete one.
"""

import argparse
import datetime
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "python"))  # the stoker package; or put python/ on PYTHONPATH

FEATURES = 64  # the model reads the first 64 bytes of each sample


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", required=True, help="where logs and checkpoints go")
    p.add_argument("--shm-dir", help="the --shm-dir of a running `stoker local --sink shm` (rank r reads DIR/rank-r)")
    p.add_argument("--dataset", help="start `stoker local` on this dataset and spawn --ranks ranks")
    p.add_argument("--ranks", type=int, default=2, help="ranks (stoker workers) to start with --dataset")
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--batch-size", type=int, default=16, help="samples per rank and step")
    p.add_argument("--seed", type=int, default=0, help="the feed's shuffle seed")
    p.add_argument("--stoker", default=os.path.join(ROOT, "launcher", "target", "stoker.jar"),
                   help="stoker.jar or the stoker launcher")
    p.add_argument("--stoker-arg", action="append", default=[], help="more `stoker local` arguments")
    p.add_argument("--consumer-lease", type=int, default=5000, help="ms; a rank silent this long stops the feed")
    p.add_argument("--checkpoint-every", type=int, default=50, help="steps between checkpoints (0: none)")
    p.add_argument("--resume", action="store_true", help="restart from OUT/checkpoints/latest if there is one")
    p.add_argument("--print-resume-token", action="store_true", help="print the latest checkpoint's token, exit")
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--momentum", type=float, default=0.5)
    p.add_argument("--step-time", type=float, default=0.0, help="seconds each step also sleeps, as a bigger model")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds a collective may wait for a peer")
    return p.parse_args(argv)


# ---- checkpoints --------------------------------------------------------------------------------------------------

def latest_checkpoint(out):
    try:
        with open(os.path.join(out, "checkpoints", "latest")) as f:
            return os.path.join(out, "checkpoints", f.read().strip())
    except FileNotFoundError:
        return None


def save_checkpoint(out, rank, step, model, optimizer, dataset, trained, losses):
    import torch
    import torch.distributed as dist
    directory = os.path.join(out, "checkpoints", f"step-{step:08d}")
    os.makedirs(directory, exist_ok=True)
    state = dataset.state_dict()  # releases the batch in hand: the token covers every step trained so far
    torch.save({"dataset": state, "step": step, "trained": trained, "losses": losses},
               os.path.join(directory, f"rank-{rank}.pt"))
    if rank == 0:
        torch.save({"model": model.module.state_dict(), "optimizer": optimizer.state_dict(), "step": step},
                   os.path.join(directory, "model.pt"))
        with open(os.path.join(directory, "resume-token"), "w") as f:
            f.write(state["resume_token"] + "\n")
    dist.barrier()  # every rank wrote its part: the checkpoint is complete
    if rank == 0:
        tmp = os.path.join(out, "checkpoints", "latest.tmp")
        with open(tmp, "w") as f:
            f.write(os.path.basename(directory) + "\n")
        os.replace(tmp, os.path.join(out, "checkpoints", "latest"))  # atomic: a crash leaves the previous one
        for old in os.listdir(os.path.join(out, "checkpoints")):
            if old.startswith("step-") and old != os.path.basename(directory):
                shutil.rmtree(os.path.join(out, "checkpoints", old), ignore_errors=True)
    return state


# ---- one rank -----------------------------------------------------------------------------------------------------

def features_and_targets(batch, true_weights):
    """x: the first FEATURES bytes of each sample, centred and scaled; y: a fixed linear function of them."""
    import torch
    x = torch.stack([t[:FEATURES] for t in batch.tensors()]).float()  # the stack copies out of the pool
    x = (x - 127.5) / 73.9
    return x, x @ true_weights


def train(rank, world_size, args, shm_root):
    import torch
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel
    from stoker.torch import StokerDataset
    import stoker

    torch.set_num_threads(1)
    dist.init_process_group("gloo", rank=rank, world_size=world_size,
                            timeout=datetime.timedelta(seconds=args.timeout))
    os.makedirs(args.out, exist_ok=True)
    log = open(os.path.join(args.out, f"rank-{rank}.jsonl"), "a", buffering=1)

    torch.manual_seed(0)
    true_weights = torch.randn(FEATURES, generator=torch.Generator().manual_seed(1234)) / FEATURES ** 0.5
    model = DistributedDataParallel(torch.nn.Linear(FEATURES, 1, bias=False))
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum)
    dataset = StokerDataset(shm_dir=stoker.rank_dir(shm_root, rank))

    step, trained, losses = 0, {}, []
    checkpoint = latest_checkpoint(args.out) if args.resume else None
    if checkpoint:
        mine = torch.load(os.path.join(checkpoint, f"rank-{rank}.pt"))
        shared = torch.load(os.path.join(checkpoint, "model.pt"))
        model.module.load_state_dict(shared["model"])
        optimizer.load_state_dict(shared["optimizer"])
        dataset.load_state_dict(mine["dataset"])  # the feed itself was restarted with --resume-from its token
        step, trained, losses = mine["step"], mine["trained"], mine["losses"]
    log.write(json.dumps({"event": "start", "pid": os.getpid(), "rank": rank, "step": step,
                          "checkpoint": checkpoint}) + "\n")

    loader = torch.utils.data.DataLoader(dataset, batch_size=None, num_workers=0)
    try:
        for batch in loader:
            x, y = features_and_targets(batch, true_weights)
            loss = torch.nn.functional.mse_loss(model(x).squeeze(1), y)
            optimizer.zero_grad()
            loss.backward()  # DDP all-reduces the gradients here: every rank must take the same number of steps
            optimizer.step()
            if args.step_time:
                time.sleep(args.step_time)
            step += 1
            ids = batch.ids
            trained.setdefault(batch.epoch, []).extend(ids)
            losses.append(loss.item())
            log.write(json.dumps({"epoch": batch.epoch, "step": batch.step, "loss": losses[-1], "ids": ids}) + "\n")
            del batch, x, y
            if args.checkpoint_every and step % args.checkpoint_every == 0:
                save_checkpoint(args.out, rank, step, model, optimizer, dataset, trained, losses)
                log.write(json.dumps({"event": "checkpoint", "step": step}) + "\n")
        outcome = dataset.channel.outcome
        dist.barrier()
    finally:
        dataset.close()
    checksum = float(sum(p.double().sum() for p in model.parameters()))
    with open(os.path.join(args.out, f"rank-{rank}.json"), "w") as f:
        json.dump({"rank": rank, "steps": step, "outcome": outcome, "param_sum": checksum, "losses": losses,
                   "epochs": {str(e): ids for e, ids in trained.items()}}, f)
    log.write(json.dumps({"event": "end", "step": step, "outcome": outcome}) + "\n")
    dist.destroy_process_group()


def spawned(rank, world_size, args, shm_root):
    train(rank, world_size, args, shm_root)


# ---- launcher: the feed JVM and N ranks ---------------------------------------------------------------------------

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch(args):
    import torch.multiprocessing as mp
    os.makedirs(args.out, exist_ok=True)
    shm_root = args.shm_dir or tempfile.mkdtemp(prefix="stoker-ddp-", dir="/dev/shm")
    if args.stoker.endswith(".jar"):
        java = os.path.join(os.environ["JAVA_HOME"], "bin", "java") if "JAVA_HOME" in os.environ else "java"
        command = [java, "-jar", args.stoker]
    else:
        command = [args.stoker]
    command += ["local", "--dataset", args.dataset, "--workers", str(args.ranks), "--epochs", str(args.epochs),
                "--batch-size", str(args.batch_size), "--seed", str(args.seed), "--sink", "shm",
                "--shm-dir", shm_root, "--consumer-lease", str(args.consumer_lease), "--no-progress",
                "--report", os.path.join(args.out, "stoker-report.json"), *args.stoker_arg]
    checkpoint = latest_checkpoint(args.out) if args.resume else None
    if checkpoint:
        with open(os.path.join(checkpoint, "resume-token")) as f:
            command += ["--resume-from", f.read().strip()]
        print(f"resuming from {checkpoint}", flush=True)
    feed = subprocess.Popen(command, stdout=open(os.path.join(args.out, "stoker.log"), "a"), stderr=subprocess.STDOUT)
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(free_port()))
    os.environ.setdefault("GLOO_SOCKET_IFNAME", "lo")
    try:
        mp.start_processes(spawned, args=(args.ranks, args, shm_root), nprocs=args.ranks, start_method="spawn")
        return feed.wait(timeout=120)  # 0: every epoch delivered
    except Exception as e:  # a rank died: start_processes stopped the others
        print(f"training failed: {e}", file=sys.stderr, flush=True)
        return 1
    finally:
        if feed.poll() is None:
            feed.send_signal(signal.SIGTERM)
            try:
                feed.wait(timeout=30)
            except subprocess.TimeoutExpired:
                feed.kill()
                feed.wait()
        if not args.shm_dir:
            shutil.rmtree(shm_root, ignore_errors=True)


def main(argv=None):
    args = parse_args(argv)
    if args.print_resume_token:
        checkpoint = latest_checkpoint(args.out)
        if checkpoint is None:
            sys.exit(f"no checkpoint in {args.out}")
        with open(os.path.join(checkpoint, "resume-token")) as f:
            print(f.read().strip())
        return 0
    if args.dataset:
        return launch(args)
    if not args.shm_dir or "RANK" not in os.environ:
        sys.exit("give --dataset (this script starts the feed and the ranks) or --shm-dir with RANK, WORLD_SIZE, "
                 "MASTER_ADDR and MASTER_PORT set (torchrun sets them)")
    train(int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"]), args, args.shm_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
