"""How reliably and how cheaply do the pixel inverters invert the Shapes captioner?

For ``--n`` distinct test-split captions, runs each inverter one target at a time (as the default
``--batch-size 1`` does) under the task-like budget (``--max-steps``, ``--max-seconds``) and
prints, per target: steps taken, the step of the first teacher-forced success, wall time, and
whether the model's greedy ``run`` on the returned image gives the target exactly; then the
success rate and median steps and seconds. ``pixels-perturb`` starts from the reference render of
the next target's scene (the harness's carrier convention: another target's natural input) and
also reports the RMS pixel distance to its carrier.

Run: ``python benchmarks/pixels_inversion.py [--model captioner] [--n 10]
[--inverters pixels-adam,pixels-perturb] [--set lr=0.05] [--threads 2]``.
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

from invbench.contracts import Budget, Image, InversionProblem, Target  # noqa: E402
from invbench.inverters.pixels_adam import PixelsAdam  # noqa: E402
from invbench.inverters.pixels_perturb import PixelsPerturb  # noqa: E402
from invbench.models.zoo.shapes_captioner import ShapesCaptioner  # noqa: E402
from invbench.worlds.shapes import caption, render_tensor, take_scenes  # noqa: E402

INVERTERS = {"pixels-adam": PixelsAdam, "pixels-perturb": PixelsPerturb}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="captioner", help="zoo name or model folder")
    parser.add_argument("--n", type=int, default=10)
    parser.add_argument("--inverters", default="pixels-adam")
    parser.add_argument("--set", action="append", default=[], help="config override key=JSON")
    parser.add_argument("--max-steps", type=int, default=300)
    parser.add_argument("--max-seconds", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    overrides = {k: json.loads(v) for k, v in (item.split("=", 1) for item in args.set)}

    model = ShapesCaptioner(args.model)
    scenes = take_scenes("test", args.n, unique=True)
    captions = [caption(scene) for scene in scenes]
    renders = [Image(render_tensor(scene)) for scene in scenes]
    budget = Budget(max_steps=args.max_steps, max_seconds=args.max_seconds)
    print(f"model {model.model_id} ({model.weights_sha256[:12]}), load {os.getloadavg()}")
    for name in args.inverters.split(","):
        inverter = INVERTERS[name](**overrides)
        print(f"\n{name} {inverter.config}")
        rows = []
        for k, text in enumerate(captions):
            carrier = renders[(k + 1) % len(renders)]
            problem = InversionProblem(
                task="captioner/bench",
                family="captioner",
                targets=[Target(f"test-{k}", {"text": text})],
                forward=model,
                budget=budget,
                seed=args.seed,
                carriers=[carrier],
            )
            start = time.perf_counter()
            inv = inverter.invert(problem)[0]
            seconds = time.perf_counter() - start
            ok = model.run([inv.x]) == [text]
            rms = float((inv.x.pixels - carrier.pixels).square().mean().sqrt())
            rows.append((ok, inv.steps, seconds, rms))
            print(
                f"{'ok ' if ok else 'MISS'} steps {inv.steps:4d} first "
                f"{inv.info.get('first_success_step')!s:>4} {seconds:6.1f}s "
                f"rms-to-carrier {rms:.3f} final-loss {inv.loss_trace[-1]:.3f} | {text}"
            )
        hits = [r for r in rows if r[0]]
        print(
            f"{name}: success {len(hits)}/{len(rows)}, median steps "
            f"{statistics.median(r[1] for r in rows):.0f}, median seconds "
            f"{statistics.median(r[2] for r in rows):.1f}, total {sum(r[2] for r in rows):.0f}s, "
            f"median rms-to-carrier {statistics.median(r[3] for r in rows):.3f}"
        )


if __name__ == "__main__":
    main()
