"""Training on several processes (torchrun): joining them, sharing out each step's
headlines, and agreeing on numbers.

A plain run is process 0 of 1, and every function here is then a no-op or the identity,
so the training code reads the same either way. Under torchrun each process takes every
N-th headline of the very batches a single process would take (`epoch_batches`), and
DistributedDataParallel averages their gradients: a run's steps, schedule and results do
not depend on the number of processes.
"""

import os

import numpy as np
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

from cls_core.data import length_buckets
from cls_core.models.predictor import resolve_device


def join_processes(device_flag):
    """(rank, world size, device). Under torchrun, join the process group: one GPU per process
    talking over NCCL, or CPU processes over gloo. A plain run is process 0 of 1."""
    device = resolve_device(device_flag)
    if not dist.is_torchelastic_launched():
        return 0, 1, device
    if device.type == "cuda":
        device = torch.device("cuda", int(os.environ["LOCAL_RANK"]))
        torch.cuda.set_device(device)
    dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return dist.get_rank(), dist.get_world_size(), device


def leave_processes():
    """Leave the process group, if this process joined one."""
    if dist.is_initialized():
        dist.destroy_process_group()


def launched_on_several():
    """Whether torchrun started more than one process."""
    return dist.is_torchelastic_launched() and int(os.environ["WORLD_SIZE"]) > 1


def replicated(model, rank, world_size, device, seed):
    """What the training steps run: the model itself in a plain run, else its
    DistributedDataParallel wrapper, which averages the gradients of all processes in
    backward(). The replicas start equal (it copies rank 0's weights) and so stay equal."""
    if world_size == 1:
        return model
    network = DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
    torch.manual_seed(seed + 1000 * (rank + 1))  # each process its own dropout masks
    return network


def summed(values, device):
    """values (numbers) summed over all processes; unchanged in a plain run."""
    if not dist.is_initialized():
        return values
    total = torch.tensor(values, dtype=torch.float64, device=device)
    dist.all_reduce(total)
    return total.tolist()


def from_rank0(value, device):
    """Rank 0's value of an integer, in every process."""
    if not dist.is_initialized():
        return value
    tensor = torch.tensor([value], dtype=torch.int64, device=device)
    dist.broadcast(tensor, src=0)
    return int(tensor.item())


def epoch_batches(lengths, batch_size, seed, epoch, rank=0, world_size=1):
    """Headline indices for each optimiser step of one epoch, this process's share.

    Every process builds the same length-bucketed batches from the shared seed and takes
    every world_size-th headline of each: together the processes take exactly the steps
    one process would, each on headlines of similar length. A last batch smaller than
    world_size is left out, so that no process gets an empty one.
    """
    rng = np.random.default_rng(seed + epoch)  # the same order in every process, and on resume
    return [b[rank::world_size] for b in length_buckets(lengths, batch_size, rng) if len(b) >= world_size]
