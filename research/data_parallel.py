"""Data parallelism over processes on one CPU machine (torch.distributed, gloo, loopback).

Why processes and not threads: the transformer is small (hidden 256, 104 tokens), and on the
2-core training machine PyTorch's 2 intra-op threads made a step of batch 32 slower, not faster
(1.28 s against 0.60 s with 1 thread); two 1-thread processes with 16 each take 0.55 s
(bench/train_step_bench.py). Each process here takes its share of the batch and the
gradients are averaged, so a step means the same as a single process's step on the whole
batch.

Bit-reproducible for 2 processes: an all-reduce of two summands is a + b either way round.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
from typing import Callable, List, Sequence

import torch
import torch.distributed as dist
import torch.multiprocessing as mp


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent() -> None:
    """Linux: SIGTERM this process when its parent exits (else a killed training command leaves
    its workers running, and writing its checkpoints)."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def _entry(rank: int, world: int, port: int, fn: Callable, args: tuple) -> None:
    _die_with_parent()
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = str(port)
    torch.set_num_threads(1)
    dist.init_process_group("gloo", rank=rank, world_size=world)
    try:
        fn(rank, world, *args)
    finally:
        dist.destroy_process_group()


def run(fn: Callable, world: int, *args) -> None:
    """Runs fn(rank, world, *args) in `world` fresh processes (one thread each) and waits.
    fn must be a module-level function (the processes are spawned, not forked: forking after
    PyTorch has started its thread pool can deadlock)."""
    mp.spawn(_entry, args=(world, _free_port(), fn, args), nprocs=world, join=True)


def average_gradients(params: Sequence[torch.Tensor]) -> None:
    """Replaces every parameter's gradient with its mean over the processes (one all-reduce of
    one flat buffer)."""
    grads = [p.grad for p in params]
    flat = torch.cat([g.reshape(-1) for g in grads])
    dist.all_reduce(flat)
    flat.div_(dist.get_world_size())
    offset = 0
    for g in grads:
        n = g.numel()
        g.copy_(flat[offset:offset + n].view_as(g))
        offset += n


def decide(flags: List[bool]) -> List[bool]:
    """Rank 0's flags, on every rank (decisions taken from rank 0's clock, such as stopping or
    saving, must be the same everywhere or the next collective call waits forever)."""
    t = torch.tensor([float(f) for f in flags])
    dist.broadcast(t, src=0)
    return [bool(v) for v in t.tolist()]


def gather(obj) -> list:
    """Every rank's obj, on every rank."""
    out = [None] * dist.get_world_size()
    dist.all_gather_object(out, obj)
    return out


def mean(value: float) -> float:
    """The mean of value over the processes."""
    t = torch.tensor([value], dtype=torch.float64)
    dist.all_reduce(t)
    return float(t.item()) / dist.get_world_size()
