"""Does AnoGAN's latent search lose anything in bfloat16? Its test AUC both ways.

AnoGAN's search (``search_precision``) can run its forward and backward passes in
bfloat16, 1.7× faster than float32 with 2 threads on a CPU with bfloat16 instructions
(``benchmarks/bench_baselines.py``), while the score stays the float32 loss at the z the
search reached. This trains AnoGAN ONCE on each ``--classes`` class of each
``--datasets`` dataset (as ``studies/anogan_iterations.py``: one-vs-rest, ``--epochs`` 15,
seed 0, the same stratified ``--test-images`` subsample), then runs the search once in
float32 and once in bfloat16 on the same networks, each read after 10, 50, 100 and 250
steps. It writes both AUCs, the Spearman correlation of the two searches' scores and
their largest relative difference; an interrupted run resumes from ``--json``.

    AEUTILS_DATA=../shared/data python studies/anogan_precision.py
    python studies/anogan_precision.py --quick --datasets folder:<path> --json /tmp/q.json
"""

from __future__ import annotations

from aeutils.cli.studies import ANOGAN_PRECISION_STEPS, anogan_study_main


def main() -> None:
    out, a = anogan_study_main("anogan_precision.py", __doc__.split("\n\n")[0],
                               "results/anogan-iterations/anogan_precision.json",
                               ANOGAN_PRECISION_STEPS, (1, 5), study="precision")
    last = str(out["steps"][-1])
    print(f"AnoGAN's search in float32 and bfloat16 on the same networks; {a.test_images} "
          f"test images per class; {out['wall_seconds']:.0f} s in all")
    print("| dataset | class | " + " | ".join(f"AUC @{k} fp32 / bf16" for k in out["steps"])
          + f" | Spearman @{last} | search s fp32 / bf16 |")
    print("|---|---|" + "---|" * (len(out["steps"]) + 2))
    for ds in out["datasets"].values():
        for r in ds["classes"]:
            auc, s = r["auc"], r["search_seconds"]
            print(f"| {ds['name']} | {r['class']} | "
                  + " | ".join(f"{auc['fp32'][str(k)]:.4f} / {auc['bf16'][str(k)]:.4f}"
                               for k in out["steps"])
                  + f" | {r['spearman'][last]:.4f} | {s['fp32']:.0f} / {s['bf16']:.0f} |")


if __name__ == "__main__":
    main()
