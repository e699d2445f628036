"""research/data_parallel.py: two processes' averaged gradients are the whole batch's gradient,
identical on both; decisions are rank 0's; mean and gather see every rank."""

import os

import torch

import data_parallel

BATCH = torch.arange(32.0).reshape(8, 4) / 10


def _model() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Linear(4, 3)


def _worker(rank: int, world: int, out_dir: str) -> None:
    model = _model()
    model(BATCH.chunk(world)[rank]).pow(2).mean().backward()
    data_parallel.average_gradients(list(model.parameters()))
    torch.save({"grads": [p.grad for p in model.parameters()],
                "flags": data_parallel.decide([rank == 0, rank != 0]),
                "mean": data_parallel.mean(float(rank)),
                "gather": data_parallel.gather(rank),
                "threads": torch.get_num_threads()},
               os.path.join(out_dir, f"{rank}.pt"))


def test_two_processes_step_like_one_on_the_whole_batch(tmp_path):
    data_parallel.run(_worker, 2, str(tmp_path))
    model = _model()
    model(BATCH).pow(2).mean().backward()
    got = [torch.load(tmp_path / f"{r}.pt") for r in range(2)]
    for g in got:
        for grad, p in zip(g["grads"], model.parameters()):
            assert torch.allclose(grad, p.grad, rtol=1e-6, atol=1e-7)
        assert g["flags"] == [True, False]  # rank 0's, on both
        assert g["mean"] == 0.5
        assert g["gather"] == [0, 1]
        assert g["threads"] == 1
    for a, b in zip(got[0]["grads"], got[1]["grads"]):
        assert torch.equal(a, b)  # bit-identical: the processes stay in step
