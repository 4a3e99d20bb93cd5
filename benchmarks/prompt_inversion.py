"""How far do the prompt inverters get on the Shapes generator, and what does a step cost?

For the first ``--n`` targets of ``images-mini``, runs ``soft-prompt`` and ``pez`` one target at
a time under ``--max-steps`` and prints, per inverter: the objective (mean squared pixel error to
the target) of the image regenerated from the soft embeddings and from their nearest-token
projection, the mean nearest-token cosine, and the seconds per optimisation step as a ratio to
one forward generation without gradients (measured in the same run).

Run: ``python benchmarks/prompt_inversion.py [--n 8] [--max-steps 100] [--set lr=0.02]``.
Timings depend on the machine and on what else runs on it: the load average is printed.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # spinning OpenMP workers hurt shared CPUs

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import torch  # noqa: E402

from invbench.contracts import Budget, InversionProblem, Target, TargetSetRef  # noqa: E402
from invbench.fs.shipped import resource_dir  # noqa: E402
from invbench.inverters.pez import PEZ  # noqa: E402
from invbench.inverters.soft_prompt import SoftPrompt  # noqa: E402
from invbench.models.zoo.shapes_generator import ShapesGenerator  # noqa: E402
from invbench.targets.target_set import load_target_set  # noqa: E402

INVERTERS = {"soft-prompt": SoftPrompt, "pez": PEZ}


def mse(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).pow(2).mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=8)
    parser.add_argument("--inverters", default="soft-prompt,pez")
    parser.add_argument("--set", action="append", default=[], help="config override key=JSON")
    parser.add_argument("--max-steps", type=int, default=100)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    overrides = {k: json.loads(v) for k, v in (item.split("=", 1) for item in args.set)}

    root = resource_dir("data") / "targets" / "images-mini"
    manifest = json.loads((root / "manifest.json").read_text())
    ref = TargetSetRef(name="images-mini", version=1, content_sha256=manifest["content_sha256"])
    items = load_target_set(ref, [resource_dir("data") / "targets"]).items[: args.n]
    model = ShapesGenerator("generator")
    [ids] = model.tokenize([items[0].hidden["text"]])
    start = time.perf_counter()
    for _ in range(10):
        model.run_from_embeddings([model.embed(ids)])
    forward_seconds = (time.perf_counter() - start) / 10
    print(f"model {model.model_id} ({model.weights_sha256[:12]}), load {os.getloadavg()}, "
          f"one generation {forward_seconds * 1000:.1f} ms")
    for name in args.inverters.split(","):
        inverter = INVERTERS[name](**overrides)
        soft_err, hard_err, cosines, step_seconds = [], [], [], []
        for item in items:
            problem = InversionProblem(
                task="generator/mini@1", family="generator",
                targets=[Target(item.id, dict(item.target))], forward=model,
                budget=Budget(max_steps=args.max_steps), seed=0,
            )
            start = time.perf_counter()
            [inversion] = inverter.invert(problem)
            step_seconds.append((time.perf_counter() - start) / max(1, inversion.steps))
            target = item.target["image"].pixels
            [soft] = model.run_from_embeddings([inversion.soft_embeddings])
            [hard] = model.run([inversion.x])
            soft_err.append(mse(soft.pixels, target))
            hard_err.append(mse(hard.pixels, target))
            cosines.append(inversion.info["nearest_cosine_mean"])
        print(f"{name} {inverter.config}: MSE soft {statistics.mean(soft_err):.4f}, "
              f"hard {statistics.mean(hard_err):.4f}; nearest-token cosine "
              f"{statistics.mean(cosines):.3f}; a step costs "
              f"{statistics.mean(step_seconds) / forward_seconds:.1f}x a generation")


if __name__ == "__main__":
    main()
