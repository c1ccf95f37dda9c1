"""How many search steps does AnoGAN need? Its test AUC after 10, 50, 100, 250 and 500.

AnoGAN scores an image by searching the latent space (500 Adam steps in the paper and
the reference code), which makes it by far the costliest baseline to score. This trains
AnoGAN on each ``--classes`` class of each ``--datasets`` dataset (one-vs-rest, all
training images of the class less the validation tenth, as the thesis profile;
``--epochs`` 15 as in GANomaly's comparison, seed 0), draws a fixed ``--test-images``
subsample of the test set (stratified by class, seeded: the whole set's share of normals
and of every anomalous class), and runs ONE search of 500 steps on it, reading every
image's loss after each step count (the search's schedule is by step number, so that is
exactly the score of a search of that length). It writes the AUC at each count, the
training and search seconds per class and the mean AUC per dataset; rows already in
``--json`` with the same settings are kept, so an interrupted run resumes.

    AEUTILS_DATA=../shared/data python studies/anogan_iterations.py
    python studies/anogan_iterations.py --quick --datasets folder:<path> --json /tmp/q.json
"""

from __future__ import annotations

from aeutils.cli.studies import ANOGAN_QUICK, ANOGAN_STEPS, anogan_study_main

QUICK = {"steps": (1, 2, 5), **ANOGAN_QUICK}  # --quick (the test reads its settings here)


def main() -> None:
    out, a = anogan_study_main("anogan_iterations.py", __doc__.split("\n\n")[0],
                               "results/anogan-iterations/anogan_iterations.json",
                               ANOGAN_STEPS, QUICK["steps"])
    print(f"AnoGAN, one search read at {', '.join(map(str, out['steps']))} steps; "
          f"{a.test_images} test images per class; {out['wall_seconds']:.0f} s in all")
    print("| dataset | class | " + " | ".join(f"AUC @{k}" for k in out["steps"])
          + " | train s | search s |")
    print("|---|---|" + "---|" * (len(out["steps"]) + 2))
    for ds in out["datasets"].values():
        for r in ds["classes"]:
            print(f"| {ds['name']} | {r['class']} | "
                  + " | ".join(f"{r['auc'][str(k)]:.4f}" for k in out["steps"])
                  + f" | {r['train_seconds']:.0f} | {r['search_seconds']:.0f} |")


if __name__ == "__main__":
    main()
