#!/usr/bin/python3
"""Independent Dawid-Skene reference for plumb_quality's FitDawidSkene.

The same model and schedule as src/quality/dawid_skene.cc, written again with
numpy (Debian's python3-numpy) from the paper rather than from the C++:
start from per-item vote shares, then alternate the M-step (class prior and
per-worker confusion matrices, each cell smoothed by SMOOTHING) and the E-step
(posterior of each item's class) until no posterior moves by TOLERANCE or
MAX_ITERATIONS are done. Items and workers are numbered in order of first
appearance, as the test does, so sums run in the same order.

Usage: /usr/bin/python3 dawid_skene_reference.py [DATASET_DIR] [NAME]
(defaults: /work/shared/datasets/crowd bluebirds). Prints the figures that
quality_test.cc's DawidSkeneReference test holds as constants; rerun it and
paste them there when the algorithm or its options change.
"""

import csv
import os
import sys

import numpy as np

MAX_ITERATIONS = 100
TOLERANCE = 1e-6
SMOOTHING = 0.01


def read_csv(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return rows[1:]  # header


def dense(values):
    index = {}
    for v in values:
        index.setdefault(v, len(index))
    return index


def dawid_skene(items, workers, labels, num_items, num_workers, k):
    t = np.zeros((num_items, k))
    np.add.at(t, (items, labels), 1.0)
    t /= t.sum(axis=1, keepdims=True)
    iterations = 0
    for iteration in range(1, MAX_ITERATIONS + 1):
        prior = (SMOOTHING + t.sum(axis=0)) / (num_items + k * SMOOTHING)
        confusion = np.full((num_workers, k, k), SMOOTHING)
        for c in range(k):
            np.add.at(confusion[:, c, :], (workers, labels), t[items, c])
        confusion /= confusion.sum(axis=2, keepdims=True)
        logs = np.tile(np.log(prior), (num_items, 1))
        np.add.at(logs, items, np.log(confusion[workers, :, labels]))
        logs -= logs.max(axis=1, keepdims=True)
        nxt = np.exp(logs)
        nxt /= nxt.sum(axis=1, keepdims=True)
        change = np.abs(nxt - t).max()
        t = nxt
        iterations = iteration
        if change < TOLERANCE:
            break
    return prior, confusion, t, iterations


def main():
    directory = sys.argv[1] if len(sys.argv) > 1 else "/work/shared/datasets/crowd"
    name = sys.argv[2] if len(sys.argv) > 2 else "bluebirds"
    answers = read_csv(os.path.join(directory, name + ".answers.csv"))
    gold = {task: int(label) for task, label in read_csv(os.path.join(directory, name + ".gold.csv"))}
    item_index = dense(r[0] for r in answers)
    worker_index = dense(r[1] for r in answers)
    items = np.array([item_index[r[0]] for r in answers])
    workers = np.array([worker_index[r[1]] for r in answers])
    labels = np.array([int(r[2]) for r in answers])
    k = int(labels.max()) + 1

    counts = np.zeros((len(item_index), k))
    np.add.at(counts, (items, labels), 1.0)
    majority = counts.argmax(axis=1)  # ties to the lowest label, like MajorityVote
    prior, confusion, posterior, iterations = dawid_skene(
        items, workers, labels, len(item_index), len(worker_index), k)
    ds = posterior.argmax(axis=1)

    scored = [t for t in gold if t in item_index]
    mv_acc = np.mean([majority[item_index[t]] == gold[t] for t in scored])
    ds_acc = np.mean([ds[item_index[t]] == gold[t] for t in scored])
    first_worker = answers[0][1]
    print(f"dataset {name}: {len(answers)} answers, {len(item_index)} items, "
          f"{len(worker_index)} workers, {len(scored)} gold items with answers")
    print(f"majority accuracy {mv_acc:.10f}")
    print(f"dawid_skene accuracy {ds_acc:.10f}")
    print(f"iterations {iterations}")
    print(f"prior {prior[0]:.10f} {prior[1]:.10f}")
    c = confusion[worker_index[first_worker]]
    print(f"confusion of worker {first_worker} {c[0, 0]:.10f} {c[0, 1]:.10f} "
          f"{c[1, 0]:.10f} {c[1, 1]:.10f}")
    # The first three items that the fit leaves in doubt: posteriors near 0
    # or 1 would agree to ten digits whatever the fit did.
    doubtful = [t for t in item_index if 0.001 < posterior[item_index[t], 1] < 0.999][:3]
    for task in doubtful:
        print(f"posterior of item {task} {posterior[item_index[task], 1]:.10f}")


if __name__ == "__main__":
    main()
