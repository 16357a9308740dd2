#!/usr/bin/python3
"""Reference figures for plumb_quality's metrics (metrics_test.cc).

Reads the test vectors in metrics_vectors.json (beside this script) and
writes metrics_expected.json with the figures that the libraries everyone
uses compute on them, for metrics_test.cc to hold plumb_quality to:

  classification  scikit-learn: accuracy_score, confusion_matrix,
                  precision_recall_fscore_support (labels 0..K-1,
                  zero_division=0; average None, macro, micro, weighted),
                  cohen_kappa_score (the truth and the prediction as raters)
  fleiss          statsmodels.stats.inter_rater.fleiss_kappa (tables with
                  the same number of ratings per item); tables with varying
                  counts: the generalization of docs/quality.md in numpy
  alpha           NLTK: nltk.metrics.agreement.AnnotationTask(data).alpha()
                  with its default binary_distance
  detection       mAP: an implementation of COCOeval's algorithm (bbox,
                  areaRng all, no crowd, useCats) in numpy written from the
                  COCO detection evaluation's description (greedy matching
                  by score, 101-point interpolated precision, IoU thresholds
                  0.50:0.05:0.95), not from pycocotools' code, which is not
                  installed here; precision/recall/F1 at an IoU threshold:
                  scipy.optimize.linear_sum_assignment maximizing total IoU
  spans           exact match: multiset intersection of (doc, start, end,
                  label) tuples in plain Python; overlap: maximum matching by
                  scipy.optimize.linear_sum_assignment on the 0/1 overlap
                  matrix of each doc and label
  text            nltk.edit_distance over code points (CER) and over
                  str.split() words (WER)
  wilson          statsmodels.stats.proportion.proportion_confint(
                  method="wilson")

Where plumb_quality's documented convention differs from a library's (a
figure the library leaves undefined or fails on), the case carries the
convention's value and a "note"; those are listed in docs/quality.md.

Usage (Debian's packages: bash scripts/install-reference-deps.sh):
  /usr/bin/python3 metrics_reference.py generate   # rewrite the vectors (seeded)
  /usr/bin/python3 metrics_reference.py            # rewrite the expected figures
"""

import json
import math
import os
import sys
import warnings
from collections import Counter

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
VECTORS = os.path.join(HERE, "metrics_vectors.json")
EXPECTED = os.path.join(HERE, "metrics_expected.json")


# ----------------------------------------------------------------- vectors

def classification_vectors():
    cases = []

    def noisy(name, seed, k, n, accuracy, p=None):
        rng = np.random.default_rng(seed)
        truth = rng.choice(k, size=n, p=p)
        keep = rng.random(n) < accuracy
        predicted = np.where(keep, truth, rng.integers(0, k, size=n))
        cases.append({"name": name, "num_labels": k, "truth": truth.tolist(),
                      "predicted": predicted.tolist()})

    noisy("random k3 n60", 1, 3, 60, 0.7)
    noisy("random k5 n500 skewed", 2, 5, 500, 0.6, [0.5, 0.2, 0.15, 0.1, 0.05])
    noisy("random k2 n25", 3, 2, 25, 0.5)
    # Class 3 is in the reference but never predicted.
    rng = np.random.default_rng(4)
    truth = rng.integers(0, 4, size=80)
    predicted = np.where(truth == 3, rng.integers(0, 3, size=80),
                         np.where(rng.random(80) < 0.75, truth, rng.integers(0, 3, size=80)))
    cases.append({"name": "class absent from predictions", "num_labels": 4,
                  "truth": truth.tolist(), "predicted": predicted.tolist()})
    # Label 3 of 4 appears on neither side; label 2 only in predictions.
    cases.append({"name": "class absent from both", "num_labels": 4,
                  "truth": [0, 1, 1, 0, 0, 1, 0, 1], "predicted": [0, 1, 2, 0, 2, 1, 1, 1]})
    cases.append({"name": "perfect", "num_labels": 3,
                  "truth": [0, 1, 2, 2, 1, 0, 0], "predicted": [0, 1, 2, 2, 1, 0, 0]})
    cases.append({"name": "worse than chance", "num_labels": 2,
                  "truth": [0, 1, 0, 1, 0, 1, 1, 0], "predicted": [1, 0, 1, 0, 1, 0, 1, 0]})
    cases.append({"name": "one label everywhere", "num_labels": 2,
                  "truth": [1, 1, 1, 1], "predicted": [1, 1, 1, 1]})
    cases.append({"name": "empty", "num_labels": 3, "truth": [], "predicted": []})
    return cases


def fleiss_vectors():
    cases = []

    def equal(name, seed, items, raters, k, agreement):
        rng = np.random.default_rng(seed)
        table = np.zeros((items, k), dtype=int)
        for i in range(items):
            true = rng.integers(0, k)
            for _ in range(raters):
                table[i, true if rng.random() < agreement else rng.integers(0, k)] += 1
        cases.append({"name": name, "table": table.tolist(), "equal_counts": True})

    equal("random 30 items 5 raters k3 low agreement", 10, 30, 5, 3, 0.3)
    equal("random 50 items 3 raters k4 high agreement", 11, 50, 3, 4, 0.85)
    equal("random 200 items 7 raters k6", 12, 200, 7, 6, 0.55)
    # Fleiss (1971)'s example as Wikipedia gives it: 10 items, 14 raters,
    # kappa 0.210.
    cases.append({"name": "fleiss 1971 example", "equal_counts": True, "table": [
        [0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7]]})
    cases.append({"name": "a category nobody used", "equal_counts": True,
                  "table": [[3, 0, 0], [2, 1, 0], [0, 3, 0], [1, 2, 0], [3, 0, 0]]})
    cases.append({"name": "all one category", "equal_counts": True,
                  "table": [[0, 4], [0, 4], [0, 4]]})
    # Varying counts, with items of one and of no rating (left out).
    rng = np.random.default_rng(13)
    table = np.zeros((40, 3), dtype=int)
    for i in range(40):
        true = rng.integers(0, 3)
        for _ in range(rng.integers(0, 7)):
            table[i, true if rng.random() < 0.6 else rng.integers(0, 3)] += 1
    cases.append({"name": "varying counts", "table": table.tolist(), "equal_counts": False})
    cases.append({"name": "varying counts small", "equal_counts": False,
                  "table": [[2, 0], [1, 1], [3, 1], [0, 1], [0, 0], [1, 4]]})
    cases.append({"name": "no item with two ratings", "equal_counts": False,
                  "table": [[1, 0], [0, 1], [0, 0]]})
    return cases


def alpha_vectors():
    cases = []
    # Krippendorff's example with missing data (Computing Krippendorff's
    # alpha-reliability, 2011): 4 observers, 12 units, values 1..5 (here
    # 0..4), None where an observer gave none; nominal alpha 0.743.
    matrix = [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
        [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
    ]
    votes = [[c, u, v - 1] for c, row in enumerate(matrix) for u, v in enumerate(row)
             if v is not None]
    cases.append({"name": "krippendorff 2011 example", "num_labels": 5, "votes": votes})

    def sparse(name, seed, items, coders, k, coverage, agreement):
        rng = np.random.default_rng(seed)
        votes = []
        for item in range(items):
            true = int(rng.integers(0, k))
            for coder in range(coders):
                if rng.random() < coverage:
                    label = true if rng.random() < agreement else int(rng.integers(0, k))
                    votes.append([coder, item, label])
        cases.append({"name": name, "num_labels": k, "votes": votes})

    sparse("random 30 items 6 coders k3", 20, 30, 6, 3, 0.6, 0.7)
    sparse("random 100 items 10 coders k5 sparse", 21, 100, 10, 5, 0.3, 0.5)
    sparse("random 60 items 2 coders k2 complete", 22, 60, 2, 2, 1.0, 0.8)
    sparse("random 80 items 4 coders k4 near chance", 23, 80, 4, 4, 0.8, 0.1)
    # A coder who labels an item twice: both values count.
    cases.append({"name": "repeat votes", "num_labels": 3, "votes": [
        [0, 0, 0], [1, 0, 0], [1, 0, 1], [0, 1, 2], [1, 1, 2], [2, 1, 2], [2, 1, 0],
        [0, 2, 1], [2, 2, 1], [0, 3, 0]]})
    cases.append({"name": "one value everywhere", "num_labels": 2, "votes": [
        [0, 0, 1], [1, 0, 1], [0, 1, 1], [1, 1, 1]]})
    return cases


def detection_vectors():
    cases = []

    def box(rng, size=100):
        w, h = rng.uniform(5, 40, size=2)
        x, y = rng.uniform(0, size - 40, size=2)
        return [round(float(v), 2) for v in (x, y, w, h)]

    def jitter(rng, b, amount):
        x, y, w, h = b
        dx, dy = rng.normal(0, amount * w), rng.normal(0, amount * h)
        sw, sh = np.exp(rng.normal(0, amount, size=2))
        return [round(float(v), 2) for v in (x + dx, y + dy, w * sw, h * sh)]

    def scene(name, seed, images, labels, jitter_amount, recall, false_positives,
              score_digits=2, max_detections=None, iou_threshold=0.5):
        rng = np.random.default_rng(seed)
        truth, predicted = [], []
        for image in range(images):
            for _ in range(int(rng.integers(0, 7))):
                label = int(rng.integers(0, labels))
                b = box(rng)
                truth.append({"image": image, "label": label, "box": b})
                if rng.random() < recall:
                    predicted.append({"image": image, "label": label,
                                      "box": jitter(rng, b, jitter_amount),
                                      "score": round(float(rng.random()), score_digits)})
            for _ in range(int(rng.poisson(false_positives))):
                predicted.append({"image": image, "label": int(rng.integers(0, labels)),
                                  "box": box(rng),
                                  "score": round(float(rng.random() * 0.8), score_digits)})
        rng.shuffle(predicted)
        cases.append({"name": name, "truth": truth, "predicted": predicted,
                      "iou_threshold": iou_threshold, "max_detections": max_detections})

    scene("random 5 images 3 labels", 30, 5, 3, 0.05, 0.8, 1.0)
    scene("random 20 images 4 labels heavy jitter", 31, 20, 4, 0.15, 0.85, 1.5)
    scene("random tied scores", 32, 8, 2, 0.1, 0.9, 1.0, score_digits=1)
    scene("random max 2 detections", 33, 10, 2, 0.08, 0.9, 2.0, max_detections=2)
    scene("random threshold 0.3", 34, 10, 3, 0.2, 0.9, 1.0, iou_threshold=0.3)
    gt = [{"image": 1, "label": 0, "box": [0, 0, 10, 10]},
          {"image": 1, "label": 1, "box": [20, 20, 10, 10]},
          {"image": 2, "label": 0, "box": [5, 5, 20, 10]}]
    cases.append({"name": "perfect", "truth": gt, "predicted": [
        dict(d, score=0.9) for d in gt], "iou_threshold": 0.5, "max_detections": None})
    cases.append({"name": "no predictions", "truth": gt, "predicted": [],
                  "iou_threshold": 0.5, "max_detections": None})
    cases.append({"name": "empty", "truth": [], "predicted": [],
                  "iou_threshold": 0.5, "max_detections": None})
    # IoUs of exactly 0.5 and 0.75 (a threshold each), a label that only
    # predictions have (label 7: not scored in mAP) and an image only
    # predictions have (image 9).
    cases.append({"name": "exact thresholds and unscored label", "iou_threshold": 0.5,
                  "max_detections": None, "truth": [
                      {"image": 1, "label": 0, "box": [0, 0, 10, 10]},
                      {"image": 1, "label": 0, "box": [50, 50, 10, 10]},
                      {"image": 2, "label": 0, "box": [0, 0, 10, 10]}], "predicted": [
                      {"image": 1, "label": 0, "box": [0, 0, 10, 5], "score": 0.9},
                      {"image": 1, "label": 0, "box": [50, 50, 10, 7.5], "score": 0.8},
                      {"image": 2, "label": 0, "box": [0, 0, 20, 10], "score": 0.7},
                      {"image": 1, "label": 7, "box": [0, 0, 10, 10], "score": 0.95},
                      {"image": 9, "label": 0, "box": [0, 0, 10, 10], "score": 0.85}]})
    # Greedy by score would match the first prediction to the left reference
    # and leave the second without one; the optimal matching gets both.
    cases.append({"name": "optimal beats greedy", "iou_threshold": 0.5,
                  "max_detections": None, "truth": [
                      {"image": 0, "label": 0, "box": [0, 0, 10, 10]},
                      {"image": 0, "label": 0, "box": [4, 0, 10, 10]}], "predicted": [
                      {"image": 0, "label": 0, "box": [1.5, 0, 10, 10], "score": 0.9},
                      {"image": 0, "label": 0, "box": [-2, 0, 10, 10], "score": 0.8}]})
    return cases


def span_vectors():
    cases = []

    def corpus(name, seed, docs, labels, nested):
        rng = np.random.default_rng(seed)
        truth, predicted = [], []
        for doc in range(docs):
            position = 0
            for _ in range(int(rng.integers(0, 8))):
                start = position + int(rng.integers(0, 10))
                end = start + int(rng.integers(1, 8))
                position = start + 1 if nested else end
                label = int(rng.integers(0, labels))
                truth.append([doc, start, end, label])
                r = rng.random()
                if r < 0.55:
                    predicted.append([doc, start, end, label])
                elif r < 0.75:
                    shift = int(rng.integers(-3, 4))
                    predicted.append([doc, start + shift, end + int(rng.integers(-2, 3)), label])
                elif r < 0.85:
                    predicted.append([doc, start, end, int((label + 1) % labels)])
            for _ in range(int(rng.poisson(0.7))):
                start = int(rng.integers(0, 60))
                predicted.append([doc, start, start + int(rng.integers(1, 6)),
                                  int(rng.integers(0, labels))])
        predicted = [p for p in predicted if p[1] < p[2]]
        rng.shuffle(predicted)
        cases.append({"name": name, "truth": truth, "predicted": predicted})

    corpus("random 10 docs 3 labels", 40, 10, 3, False)
    corpus("random 30 docs 4 labels nested", 41, 30, 4, True)
    corpus("random 50 docs 2 labels", 42, 50, 2, False)
    cases.append({"name": "duplicates and one-to-one overlap", "truth": [
        [0, 0, 5, 0], [0, 0, 5, 0], [0, 10, 20, 1], [0, 12, 14, 1]], "predicted": [
        [0, 0, 5, 0], [0, 0, 5, 0], [0, 0, 5, 0], [0, 11, 13, 1]]})
    cases.append({"name": "touching is not overlapping", "truth": [[0, 0, 5, 0]],
                  "predicted": [[0, 5, 9, 0], [1, 0, 5, 0], [0, 3, 3, 0]]})
    cases.append({"name": "empty", "truth": [], "predicted": []})
    cases.append({"name": "no predictions", "truth": [[0, 0, 5, 0]], "predicted": []})
    cases.append({"name": "no references", "truth": [], "predicted": [[0, 0, 5, 0]]})
    return cases


def text_vectors():
    cases = [{"name": "hand picked", "pairs": [
        ["the cat sat on the mat", "the cat sit on mat"],
        ["naïve café", "naive cafe"],
        ["\U0001F600 ok", "\U0001F603 ok"],
        ["  several\tkinds\u3000of\u00a0white  space\n", "several kinds of white space"],
        ["kitten", "sitting"],
        ["", ""],
        ["", "inserted words"],
        ["all deleted", ""],
        ["same text", "same text"],
        ["a b c d", "d c b a"],
        ["日本語のテキスト", "日本語テキスト"],
    ]}]
    rng = np.random.default_rng(50)
    alphabet = list("abcde ") + ["é", "\u3000"]
    pairs = []
    for _ in range(25):
        ref = "".join(rng.choice(alphabet, size=int(rng.integers(0, 120))))
        hyp = list(ref)
        for _ in range(int(rng.integers(0, 15))):
            op = rng.integers(0, 3)
            at = int(rng.integers(0, len(hyp) + 1))
            if op == 0:
                hyp.insert(at, str(rng.choice(alphabet)))
            elif hyp and at < len(hyp):
                if op == 1:
                    del hyp[at]
                else:
                    hyp[at] = str(rng.choice(alphabet))
        pairs.append([ref, "".join(hyp)])
    cases.append({"name": "random edits", "pairs": pairs})
    return cases


def wilson_vectors():
    cases = []
    for successes, trials in [(0, 10), (10, 10), (7, 20), (123, 456), (1, 1), (50, 100),
                              (999, 1000), (3, 1000000)]:
        for level in (0.95, 0.9, 0.99):
            cases.append({"successes": successes, "trials": trials, "level": level})
    return cases


def generate():
    vectors = {
        "classification": classification_vectors(),
        "fleiss": fleiss_vectors(),
        "alpha": alpha_vectors(),
        "detection": detection_vectors(),
        "spans": span_vectors(),
        "text": text_vectors(),
        "wilson": wilson_vectors(),
    }
    with open(VECTORS, "w") as f:
        json.dump(vectors, f, indent=1)
        f.write("\n")


# ---------------------------------------------------------------- expected

def number(x):
    """A float for JSON; NaN (undefined) as null."""
    x = float(x)
    return None if math.isnan(x) else x


def expect_classification(case):
    from sklearn.metrics import (accuracy_score, cohen_kappa_score, confusion_matrix,
                                 precision_recall_fscore_support)
    labels = list(range(case["num_labels"]))
    t, p = case["truth"], case["predicted"]
    out = {"name": case["name"]}
    out["accuracy"] = number(accuracy_score(t, p))
    out["confusion"] = confusion_matrix(t, p, labels=labels).tolist()
    pr, rc, f1, support = precision_recall_fscore_support(t, p, labels=labels, average=None,
                                                          zero_division=0)
    out["precision"] = [number(v) for v in pr]
    out["recall"] = [number(v) for v in rc]
    out["f1"] = [number(v) for v in f1]
    out["support"] = [int(v) for v in support]
    for average in ("macro", "micro", "weighted"):
        a = precision_recall_fscore_support(t, p, labels=labels, average=average,
                                            zero_division=0)
        out[average] = [number(v) for v in a[:3]]
    out["kappa"] = number(cohen_kappa_score(t, p, labels=labels))
    return out


def expect_fleiss(case):
    from statsmodels.stats.inter_rater import fleiss_kappa
    table = np.array(case["table"], dtype=float)
    out = {"name": case["name"]}
    if case["equal_counts"]:
        out["kappa"] = number(fleiss_kappa(table))
        out["source"] = "statsmodels fleiss_kappa"
        return out
    # The generalization: items with n_i >= 2; P_i with each item's own n_i,
    # their plain mean; category shares pooled over those items' ratings.
    n = table.sum(axis=1)
    rows = table[n >= 2]
    n = n[n >= 2]
    if len(rows) == 0:
        out["kappa"] = None
        out["source"] = "numpy (no item with two ratings: undefined)"
        return out
    p_i = (rows * (rows - 1)).sum(axis=1) / (n * (n - 1))
    shares = rows.sum(axis=0) / rows.sum()
    expected = (shares ** 2).sum()
    out["kappa"] = number((p_i.mean() - expected) / (1 - expected))
    out["source"] = "numpy (varying counts generalization)"
    return out


def expect_alpha(case):
    from nltk.metrics.agreement import AnnotationTask
    task = AnnotationTask(data=[tuple(v) for v in case["votes"]])
    out = {"name": case["name"], "nltk": number(task.alpha())}
    out["alpha"] = out["nltk"]
    if len({v[2] for v in case["votes"]}) == 1:
        out["alpha"] = None
        out["note"] = ("NLTK returns 1 when the data has a single value; plumb_quality "
                       "says undefined (NaN), as it does for kappa")
    return out


def coco_box_iou(d, g):
    """IoU of a prediction box and a reference box, both [x, y, w, h]."""
    dx, dy, dw, dh = d
    gx, gy, gw, gh = g
    w = min(dx + dw, gx + gw) - max(dx, gx)
    h = min(dy + dh, gy + gh) - max(dy, gy)
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    return inter / (dw * dh + gw * gh - inter)


def coco_map(truth, predicted, max_detections):
    """mAP as COCOeval defines it, for boxes, area range all, no crowd."""
    thresholds = np.linspace(0.5, 0.95, 10)
    recall_points = np.linspace(0.0, 1.0, 101)
    labels = sorted({g["label"] for g in truth})
    images = sorted({x["image"] for x in truth + predicted})
    precision = np.zeros((len(thresholds), len(recall_points), len(labels)))
    for k, label in enumerate(labels):
        scores, hits, n_truth = [], [[] for _ in thresholds], 0
        for image in images:
            gts = [g["box"] for g in truth if g["image"] == image and g["label"] == label]
            dts = [d for d in predicted if d["image"] == image and d["label"] == label]
            ranked = np.argsort([-d["score"] for d in dts], kind="stable")
            if max_detections is not None:
                ranked = ranked[:max_detections]
            dts = [dts[i] for i in ranked]
            n_truth += len(gts)
            ious = np.array([[coco_box_iou(d["box"], g) for g in gts] for d in dts])
            for ti, t in enumerate(thresholds):
                taken = [False] * len(gts)
                for di in range(len(dts)):
                    best, match = min(t, 1 - 1e-10), None
                    for gi in range(len(gts)):
                        if not taken[gi] and ious[di, gi] >= best:
                            best, match = ious[di, gi], gi
                    if match is not None:
                        taken[match] = True
                    hits[ti].append(match is not None)
            scores += [d["score"] for d in dts]
        order = np.argsort(-np.array(scores, dtype=float), kind="stable")
        for ti in range(len(thresholds)):
            hit = np.array(hits[ti], dtype=bool)[order]
            if len(hit) == 0:
                continue  # no prediction: precision 0 at every recall point
            tp = np.cumsum(hit).astype(float)
            fp = np.cumsum(~hit).astype(float)
            recall = tp / n_truth
            prec = tp / (tp + fp + np.spacing(1))
            envelope = np.maximum.accumulate(prec[::-1])[::-1]
            at = np.searchsorted(recall, recall_points, side="left")
            reached = at < len(hit)
            precision[ti, reached, k] = envelope[at[reached]]
    if not labels:
        return None, [None] * len(thresholds), {}
    ap = precision.mean(axis=1)  # [threshold, label]
    return (float(precision.mean()), [float(v) for v in ap.mean(axis=1)],
            {str(label): float(ap[:, k].mean()) for k, label in enumerate(labels)})


def optimal_matching(truth, predicted, threshold):
    """Matched pairs and their total IoU, maximizing the total per image and label."""
    from scipy.optimize import linear_sum_assignment
    groups = {}
    for i, g in enumerate(truth):
        groups.setdefault((g["image"], g["label"]), ([], []))[0].append(i)
    for i, d in enumerate(predicted):
        groups.setdefault((d["image"], d["label"]), ([], []))[1].append(i)
    matched, total = 0, 0.0
    for ts, ps in groups.values():
        if not ts or not ps:
            continue
        w = np.array([[coco_box_iou(truth[t]["box"], predicted[p]["box"]) for p in ps]
                      for t in ts])
        w[(w < threshold) | (w <= 0)] = 0
        rows, cols = linear_sum_assignment(w, maximize=True)
        chosen = w[rows, cols]
        matched += int((chosen > 0).sum())
        total += float(chosen.sum())
    return matched, total


def expect_detection(case):
    truth, predicted = case["truth"], case["predicted"]
    mean_ap, at_threshold, per_label = coco_map(truth, predicted, case["max_detections"])
    matched, total = optimal_matching(truth, predicted, case["iou_threshold"])
    return {"name": case["name"], "map": mean_ap, "map_at_threshold": at_threshold,
            "ap_per_label": per_label, "matched": matched, "matched_iou_sum": total,
            **prf(matched, len(predicted), len(truth))}


def prf(matched, predicted, truth):
    precision = matched / predicted if predicted else 0.0
    recall = matched / truth if truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def expect_spans(case):
    from scipy.optimize import linear_sum_assignment
    truth = [tuple(s) for s in case["truth"]]
    predicted = [tuple(s) for s in case["predicted"]]
    exact = sum((Counter(truth) & Counter(predicted)).values())
    overlap = 0
    for doc, label in {(s[0], s[3]) for s in truth} & {(s[0], s[3]) for s in predicted}:
        ts = [s for s in truth if (s[0], s[3]) == (doc, label)]
        ps = [s for s in predicted if (s[0], s[3]) == (doc, label)]
        w = np.array([[1.0 if max(t[1], p[1]) < min(t[2], p[2]) else 0.0 for p in ps]
                      for t in ts])
        rows, cols = linear_sum_assignment(w, maximize=True)
        overlap += int(w[rows, cols].sum())
    return {"name": case["name"], "exact_matched": exact,
            "exact": prf(exact, len(predicted), len(truth)), "overlap_matched": overlap,
            "overlap": prf(overlap, len(predicted), len(truth))}


def expect_text(case):
    from nltk import edit_distance
    pairs = []
    for ref, hyp in case["pairs"]:
        pairs.append({"char_edits": edit_distance(ref, hyp), "chars": len(ref),
                      "word_edits": edit_distance(ref.split(), hyp.split()),
                      "words": len(ref.split())})
    return {"name": case["name"], "pairs": pairs}


def expect_wilson(case):
    from statsmodels.stats.proportion import proportion_confint
    low, high = proportion_confint(case["successes"], case["trials"], alpha=1 - case["level"],
                                   method="wilson")
    return dict(case, low=number(low), high=number(high))


def expected():
    with open(VECTORS) as f:
        vectors = json.load(f)
    warnings.simplefilter("ignore")  # zero divisions the conventions cover
    import nltk
    import scipy
    import sklearn
    import statsmodels
    out = {
        "versions": {"numpy": np.__version__, "scipy": scipy.__version__,
                     "sklearn": sklearn.__version__, "statsmodels": statsmodels.__version__,
                     "nltk": nltk.__version__},
        "classification": [expect_classification(c) for c in vectors["classification"]],
        "fleiss": [expect_fleiss(c) for c in vectors["fleiss"]],
        "alpha": [expect_alpha(c) for c in vectors["alpha"]],
        "detection": [expect_detection(c) for c in vectors["detection"]],
        "spans": [expect_spans(c) for c in vectors["spans"]],
        "text": [expect_text(c) for c in vectors["text"]],
        "wilson": [expect_wilson(c) for c in vectors["wilson"]],
    }
    with open(EXPECTED, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    if sys.argv[1:] == ["generate"]:
        generate()
    elif sys.argv[1:]:
        sys.exit(__doc__)
    else:
        expected()
