#!/usr/bin/env python3
"""Trains Kiln's text-moderation heads: one logistic regression per category
on MiniLM-L6 sentence embeddings (384-d, L2-normalised), one-vs-rest, so a
prompt may score high in several categories.

  * Embeddings come from the C++ binary (`kiln embed`), so training and
    serving see the same numbers; they are cached under build/ by text.
  * Only data/moderation/prompts/train.jsonl is read.
  * The L2 strength of each head is chosen by grouped 5-fold cross-validation
    on train, the folds split by template family (as the held-out split is),
    maximising F1 at the default policy's review threshold.
  * Calibration: Platt scaling fitted on the out-of-fold logits of that
    cross-validation, folded into the weights, so a head's output is a
    probability as the policy's flag/review/block thresholds expect.

Usage:
  /usr/bin/python3 research/moderation/train_text_heads.py \
      --kiln build/release/kiln --out models/text-moderation-heads/heads.json
"""
import argparse
import hashlib
import json
import os
import subprocess

import numpy as np
from scipy.optimize import minimize

SEED = 5
CATEGORIES = ["sexual", "violence", "hate", "harassment", "self-harm", "illicit"]
LAMBDAS = [1e-6, 3e-6, 1e-5, 3e-5, 1e-4, 3e-4, 1e-3]  # L2 per example (mean loss + lambda/2 |w|^2)
FOLDS = 5


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def embed(kiln, model, texts, cache_path):
    cache = {}
    if os.path.exists(cache_path):
        with open(cache_path, encoding="utf-8") as f:
            for line in f:
                row = json.loads(line)
                cache[row["text"]] = row["embedding"]
    missing = [t for t in dict.fromkeys(texts) if t not in cache]
    if missing:
        assert all("\n" not in t for t in missing)
        out = subprocess.run([kiln, "embed", "--model", model, "--threads", "2"], input="\n".join(missing) + "\n",
                             capture_output=True, text=True, check=True).stdout
        with open(cache_path, "a", encoding="utf-8") as f:
            for line in out.splitlines():
                row = json.loads(line)
                cache[row["text"]] = row["embedding"]
                f.write(json.dumps({"text": row["text"], "embedding": row["embedding"]}) + "\n")
    return np.array([cache[t] for t in texts], dtype=np.float64)


def fit_logistic(x, y, lam):
    n, d = x.shape

    def loss(params):
        w, b = params[:d], params[d]
        z = x @ w + b
        # mean log-loss, stable form
        l = np.mean(np.logaddexp(0, z) - y * z) + 0.5 * lam * (w @ w)
        p = 1 / (1 + np.exp(-z))
        g = np.empty(d + 1)
        g[:d] = x.T @ (p - y) / n + lam * w
        g[d] = np.mean(p - y)
        return l, g

    res = minimize(loss, np.zeros(d + 1), jac=True, method="L-BFGS-B", options={"maxiter": 2000})
    return res.x[:d], res.x[d]


def fit_platt(z, y):
    """sigmoid(a z + b) fitted on held-out logits (Platt's smoothed targets)."""
    pos, neg = y.sum(), len(y) - y.sum()
    t = np.where(y > 0, (pos + 1) / (pos + 2), 1 / (neg + 2))

    def loss(ab):
        a, b = ab
        u = a * z + b
        p = 1 / (1 + np.exp(-u))
        return np.mean(np.logaddexp(0, u) - t * u), np.array([np.mean((p - t) * z), np.mean(p - t)])

    return minimize(loss, np.array([1.0, 0.0]), jac=True, method="L-BFGS-B").x


def grouped_folds(groups, k, rng):
    names = sorted(set(groups))
    rng.shuffle(names)
    fold_of = {g: i % k for i, g in enumerate(names)}
    return np.array([fold_of[g] for g in groups])


def f1(pred, y):
    tp = np.sum(pred & (y > 0))
    fp = np.sum(pred & (y == 0))
    fn = np.sum(~pred & (y > 0))
    return 2 * tp / max(1, 2 * tp + fp + fn)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kiln", default="build/release/kiln")
    ap.add_argument("--model", default="models/minilm-l6-v2")
    ap.add_argument("--train", default="data/moderation/prompts/train.jsonl")
    ap.add_argument("--policy", default="data/moderation/default_policy.json")
    ap.add_argument("--cache", default="build/text_heads_embeddings.jsonl")
    ap.add_argument("--out", default="models/text-moderation-heads/heads.json")
    args = ap.parse_args()
    rng = np.random.default_rng(SEED)

    rows = read_jsonl(args.train)
    texts = [r["text"] for r in rows]
    x = embed(args.kiln, args.model, texts, args.cache)
    groups = [r["family"] for r in rows]
    folds = grouped_folds(groups, FOLDS, rng)
    with open(args.policy, encoding="utf-8") as f:
        policy = json.load(f)["categories"]
    with open(args.train, "rb") as f:
        train_sha = hashlib.sha256(f.read()).hexdigest()

    heads = []
    for cat in CATEGORIES:
        y = np.array([1.0 if cat in r["labels"] else 0.0 for r in rows])
        review = policy[cat]["review"]
        best = None
        for lam in LAMBDAS:
            oof = np.zeros(len(y))
            for k in range(FOLDS):
                tr, te = folds != k, folds == k
                w, b = fit_logistic(x[tr], y[tr], lam)
                oof[te] = x[te] @ w + b
            a, c = fit_platt(oof, y)
            p = 1 / (1 + np.exp(-(a * oof + c)))
            score = f1(p >= review, y)
            pred = p >= review
            best_cut = max(np.arange(0.05, 0.96, 0.05), key=lambda t: f1(p >= t, y))
            print(f"{cat:11s} lambda {lam:g}: cv F1 at review {review:.2f} = {score:.3f} "
                  f"(P {np.sum(pred & (y > 0)) / max(1, pred.sum()):.3f} R {np.sum(pred & (y > 0)) / y.sum():.3f}; "
                  f"best cut {best_cut:.2f}: {f1(p >= best_cut, y):.3f}; platt a={a:.3f} b={c:.3f})")
            if best is None or score > best[0]:
                best = (score, lam, a, c)
        score, lam, a, c = best
        w, b = fit_logistic(x, y, lam)
        heads.append({"name": cat, "bias": float(a * b + c), "weight": [float(v) for v in a * w],
                      "l2": lam, "cv_f1_at_review": round(float(score), 4), "positives": int(y.sum())})
        print(f"{cat:11s} chose lambda {lam:g} (cv F1 {score:.3f})")

    out = {
        "format": "kiln-text-moderation-heads",
        "version": 1,
        "embedder": "sentence-transformers/all-MiniLM-L6-v2",
        "dim": int(x.shape[1]),
        "trained_on": {"file": args.train, "sha256": train_sha, "prompts": len(rows)},
        "heads": heads,
    }
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
