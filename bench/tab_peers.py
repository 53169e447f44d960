#!/usr/bin/python3
"""The peers of the TAB and TAB-L workloads (../shared/workloads.md) in one script.

TAB (German credit, default mode):

  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 bench/tab_peers.py \
      [--csv datasets/credit/credit-g.csv] [--torch-threads auto|1|2] [--json FILE]

  The 5 splits of the workload: split k (k = 0..4) tests on the rows whose
  0-based data-row index i has i % 5 == k and trains on the rest. Label
  `class`; the positive class is the second label in sorted order ("good").
  A column is numeric when every value parses as a number, else categorical.
  Numeric columns are z-scored with the training rows' mean and standard
  deviation (ddof 0); categorical vocabularies come from the training rows
  only (sorted values -> ids 0..n-1, anything else -> id n). Per split, the
  test accuracy (threshold 0.5) and ROC AUC of
    - PyTorch, the TAB model: per categorical column nn.Embedding(n + 1, 4);
      concat(z-scored numeric, embeddings) -> Linear 64 ReLU -> Linear 32
      ReLU -> Linear 1, BCEWithLogitsLoss; Adam lr 1e-3 (PyTorch defaults
      otherwise), batch 32, 30 epochs, reshuffled every epoch,
      torch.manual_seed(k); ms per epoch = training work only, median of
      epochs 2..30. `--torch-threads auto` (default) first trains split 0
      twice with 1 and twice with 2 torch threads (interleaved) and keeps
      the faster (best of two).
    - XGBoost: XGBClassifier(n_estimators=100, random_state=k), other
      parameters default, on raw numeric + one-hot categorical columns.
    - scikit-learn LogisticRegression(max_iter=1000) on z-scored numeric +
      one-hot (OneHotEncoder(handle_unknown="ignore")).
  Then mean and sample standard deviation (ddof 1) over the 5 splits.

TAB-L (synthetic, one configuration per process):

  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 bench/tab_peers.py \
      --tabl DIR [--torch-threads N] [--blas-threads N] [--json FILE]
  ... --tabl DIR --sweep     runs the thread configurations below, each in a
                             fresh process, and reports the fastest

  DIR holds train.csv and test.csv as written by
  ../shared/datasets/make_tabular.py DIR --rows 1000000 --seed 7 (a script
  beside the repository, not in it). Numeric n0..n7 (test n5 may be empty:
  imputed with the training mean), categorical c0..c5 (vocabularies from
  train.csv; unseen test values -> the unknown id), label `label` (1 is
  positive). The TAB model with embedding dim 8; Adam lr 1e-3, batch 256, 3
  epochs, torch.manual_seed(0). Reports seconds per epoch (median of epochs
  2..3), samples/s, test accuracy and AUC, CSV load time (not part of the
  epochs) and peak RSS of the process (including the load).

Denormals are flushed (torch.set_flush_denormal), as instnn does while
training. Debian's torch uses the system OpenBLAS, whose thread count
--blas-threads sets (openblas_set_num_threads); by default it is left alone.
"""
import argparse, csv, ctypes, ctypes.util, json, os, resource, statistics, subprocess, sys, time

import warnings

import numpy as np
import torch
from torch import nn

# numpy complains about float64's smallest subnormal once denormals are flushed: harmless.
warnings.filterwarnings("ignore", message="The value of the smallest subnormal")

MISSING = ("", "?", "NA")


def peak_rss_mb():
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def set_threads(torch_threads, blas_threads):
    torch.set_num_threads(torch_threads)
    if blas_threads:
        lib = ctypes.CDLL(ctypes.util.find_library("openblas") or "libopenblas.so.0")
        lib.openblas_set_num_threads(blas_threads)


class TabModel(nn.Module):
    """concat(numeric, one embedding per categorical column) -> 64 ReLU -> 32 ReLU -> 1 logit."""

    def __init__(self, n_numeric, vocab_sizes, dim):
        super().__init__()
        self.embeddings = nn.ModuleList(nn.Embedding(v + 1, dim) for v in vocab_sizes)
        width = n_numeric + dim * len(vocab_sizes)
        self.mlp = nn.Sequential(nn.Linear(width, 64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 1))

    def forward(self, numeric, ids):
        parts = [numeric] + [e(ids[:, j]) for j, e in enumerate(self.embeddings)]
        return self.mlp(torch.cat(parts, dim=1)).squeeze(1)


def train_torch(num_tr, ids_tr, y_tr, vocab_sizes, dim, batch, epochs, seed):
    """Trains the TAB model; returns (model, seconds of each epoch)."""
    torch.manual_seed(seed)
    model = TabModel(num_tr.shape[1], vocab_sizes, dim)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.BCEWithLogitsLoss()
    num_tr, ids_tr, y_tr = torch.from_numpy(num_tr), torch.from_numpy(ids_tr), torch.from_numpy(y_tr)
    n = len(y_tr)
    times = []
    for _ in range(epochs):
        t0 = time.perf_counter()
        perm = torch.randperm(n)
        for s in range(0, n, batch):
            idx = perm[s:s + batch]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(num_tr[idx], ids_tr[idx]), y_tr[idx])
            loss.backward()
            opt.step()
        times.append(time.perf_counter() - t0)
    return model, times


def torch_scores(model, num, ids, chunk=65536):
    with torch.no_grad():
        out = [torch.sigmoid(model(torch.from_numpy(num[s:s + chunk]), torch.from_numpy(ids[s:s + chunk])))
               for s in range(0, len(num), chunk)]
    return torch.cat(out).numpy().astype(np.float64)


def accuracy_auc(y, score):
    from sklearn.metrics import roc_auc_score
    return float(np.mean((score >= 0.5) == (y == 1))), float(roc_auc_score(y, score))


def mean_sd(values):
    return {"mean": statistics.mean(values), "sd": statistics.stdev(values) if len(values) > 1 else 0.0}


# ---------------------------------------------------------------- TAB

def load_credit(path, label="class"):
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    header, data = rows[0], rows[1:]
    if label not in header:
        sys.exit(f"tab_peers: {path}: no column '{label}'")
    li = header.index(label)
    cols = [j for j in range(len(header)) if j != li]

    def numeric(j):
        try:
            for r in data:
                float(r[j])
            return True
        except ValueError:
            return False

    num_cols = [j for j in cols if numeric(j)]
    cat_cols = [j for j in cols if j not in num_cols]
    labels = sorted({r[li] for r in data})
    if len(labels) != 2:
        sys.exit(f"tab_peers: label '{label}' has {len(labels)} values, expected 2")
    positive = labels[1]
    num = np.array([[float(r[j]) for j in num_cols] for r in data], dtype=np.float64)
    cat = np.array([[r[j] for j in cat_cols] for r in data], dtype=object)
    y = np.array([1.0 if r[li] == positive else 0.0 for r in data], dtype=np.float32)
    return {"header": header, "num_names": [header[j] for j in num_cols], "cat_names": [header[j] for j in cat_cols],
            "num": num, "cat": cat, "y": y, "positive": positive, "negative": labels[0]}


def zscore_stats(num_train):
    mean = np.nanmean(num_train, axis=0)
    sd = np.nanstd(num_train, axis=0)
    sd[sd == 0] = 1.0
    return mean, sd


def encode_ids(cat_train, cat_other):
    """Vocabularies from the training rows (sorted values -> 0..n-1, others -> n)."""
    vocabs = [sorted(set(cat_train[:, j])) for j in range(cat_train.shape[1])]
    lookups = [{v: i for i, v in enumerate(voc)} for voc in vocabs]

    def ids(cat):
        return np.array([[lookups[j].get(v, len(vocabs[j])) for j, v in enumerate(row)] for row in cat], dtype=np.int64)

    return ids(cat_train), ids(cat_other), [len(v) for v in vocabs]


def run_tab_split(d, k, torch_threads, with_peers=True):
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import OneHotEncoder
    from xgboost import XGBClassifier

    i = np.arange(len(d["y"]))
    te, tr = i % 5 == k, i % 5 != k
    mean, sd = zscore_stats(d["num"][tr])
    z_tr = ((d["num"][tr] - mean) / sd).astype(np.float32)
    z_te = ((d["num"][te] - mean) / sd).astype(np.float32)
    ids_tr, ids_te, vocab_sizes = encode_ids(d["cat"][tr], d["cat"][te])
    y_tr, y_te = d["y"][tr], d["y"][te]

    torch.set_num_threads(torch_threads)
    model, times = train_torch(z_tr, ids_tr, y_tr, vocab_sizes, dim=4, batch=32, epochs=30, seed=k)
    acc, auc = accuracy_auc(y_te, torch_scores(model, z_te, ids_te))
    result = {"split": k, "train_rows": int(tr.sum()), "test_rows": int(te.sum()),
              "torch": {"accuracy": acc, "auc": auc, "ms_per_epoch": 1000 * statistics.median(times[1:]),
                        "threads": torch_threads}}
    if not with_peers:
        return result

    onehot = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
    oh_tr = onehot.fit_transform(d["cat"][tr])
    oh_te = onehot.transform(d["cat"][te])

    xgb = XGBClassifier(n_estimators=100, random_state=k)
    xgb.fit(np.hstack([d["num"][tr], oh_tr]), y_tr.astype(int))
    acc, auc = accuracy_auc(y_te, xgb.predict_proba(np.hstack([d["num"][te], oh_te]))[:, 1])
    result["xgboost"] = {"accuracy": acc, "auc": auc}

    lr = LogisticRegression(max_iter=1000)
    lr.fit(np.hstack([z_tr, oh_tr]), y_tr.astype(int))
    acc, auc = accuracy_auc(y_te, lr.predict_proba(np.hstack([z_te, oh_te]))[:, 1])
    result["logistic"] = {"accuracy": acc, "auc": auc}
    return result


def run_tab(a):
    import sklearn, xgboost
    d = load_credit(a.csv)
    torch.set_flush_denormal(True)
    print(f"German credit: {len(d['y'])} rows, {len(d['num_names'])} numeric, {len(d['cat_names'])} categorical "
          f"columns; label 'class', positive = '{d['positive']}' (second in sorted order), "
          f"{int(d['y'].sum())} positive")
    probe = None
    if a.torch_threads == "auto":
        # Interleaved and repeated: on a shared 2-core machine one run each is noise.
        probe = {1: float("inf"), 2: float("inf")}
        for t in (1, 2, 1, 2):
            probe[t] = min(probe[t], run_tab_split(d, 0, t, with_peers=False)["torch"]["ms_per_epoch"])
        threads = min(probe, key=probe.get)
        print("torch threads probe (split 0, ms/epoch): " + ", ".join(f"{t} thread(s) {ms:.1f}" for t, ms in probe.items())
              + f" -> using {threads}")
    else:
        threads = int(a.torch_threads)
    splits = [run_tab_split(d, k, threads) for k in range(5)]

    models = ("logistic", "xgboost", "torch")
    names = {"logistic": "LogisticRegression (sklearn %s)" % sklearn.__version__,
             "xgboost": "XGBoost %s (100 trees)" % xgboost.__version__,
             "torch": "PyTorch %s TAB model (%d thread%s)" % (torch.__version__, threads, "s" * (threads > 1))}
    print(f"\n{'split':>5} | " + " | ".join(f"{m + ' acc':>13} {m + ' AUC':>13}" for m in models) + " | torch ms/epoch")
    for s in splits:
        print(f"{s['split']:>5} | " + " | ".join(f"{s[m]['accuracy']:>13.4f} {s[m]['auc']:>13.4f}" for m in models)
              + f" | {s['torch']['ms_per_epoch']:.1f}")
    summary = {}
    for m in models:
        summary[m] = {"accuracy": mean_sd([s[m]["accuracy"] for s in splits]),
                      "auc": mean_sd([s[m]["auc"] for s in splits])}
    summary["torch"]["ms_per_epoch"] = mean_sd([s["torch"]["ms_per_epoch"] for s in splits])
    print("\nmean +- sd over the 5 splits (sample sd, ddof 1):")
    for m in models:
        line = (f"  {names[m]:<40} accuracy {100 * summary[m]['accuracy']['mean']:.2f}% +- "
                f"{100 * summary[m]['accuracy']['sd']:.2f}   AUC {summary[m]['auc']['mean']:.4f} +- "
                f"{summary[m]['auc']['sd']:.4f}")
        if m == "torch":
            line += f"   {summary[m]['ms_per_epoch']['mean']:.1f} ms/epoch (median of epochs 2..30)"
        print(line)
    return {"workload": "TAB", "csv": a.csv, "positive": d["positive"], "sd": "sample (ddof 1)",
            "numeric_columns": d["num_names"], "categorical_columns": d["cat_names"],
            "torch_threads": threads, "torch_threads_probe_ms_per_epoch": probe,
            "versions": {"torch": torch.__version__, "sklearn": sklearn.__version__, "xgboost": xgboost.__version__,
                         "numpy": np.__version__},
            "splits": splits, "summary": summary, "load_average": os.getloadavg(),
            "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE", "")}


# ---------------------------------------------------------------- TAB-L

def load_tabl_csv(path, vocab_maps=None, chunk_rows=100_000):
    """Reads a make_tabular.py CSV in chunks (never the whole text at once).

    Returns (numeric float64 with NaN for missing cells, ids int64, labels
    float32, vocab_maps). With vocab_maps None the vocabularies are built
    from this file (ids in order of first appearance); else values outside
    them get the unknown id len(vocab)."""
    build = vocab_maps is None
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f)
        header = next(reader)
        num_idx = [j for j, h in enumerate(header) if h.startswith("n")]
        cat_idx = [j for j, h in enumerate(header) if h.startswith("c")]
        li = header.index("label")
        if build:
            vocab_maps = [{} for _ in cat_idx]
        nums, idss, ys = [], [], []
        while True:
            rows = [r for _, r in zip(range(chunk_rows), reader)]
            if not rows:
                break
            cols = list(zip(*rows))
            num = np.empty((len(rows), len(num_idx)), dtype=np.float64)
            for c, j in enumerate(num_idx):
                num[:, c] = [float(v) if v not in MISSING else np.nan for v in cols[j]]
            ids = np.empty((len(rows), len(cat_idx)), dtype=np.int64)
            for c, j in enumerate(cat_idx):
                uniq, inv = np.unique(np.array(cols[j]), return_inverse=True)
                m = vocab_maps[c]
                if build:
                    for u in uniq:
                        m.setdefault(u, len(m))
                ids[:, c] = np.array([m.get(u, len(m)) for u in uniq], dtype=np.int64)[inv]
            nums.append(num)
            idss.append(ids)
            ys.append(np.array(cols[li], dtype=np.float32))
            del rows, cols
    return np.concatenate(nums), np.concatenate(idss), np.concatenate(ys), vocab_maps, \
        [header[j] for j in num_idx], [header[j] for j in cat_idx]


def run_tabl(a):
    torch.set_flush_denormal(True)
    threads = 1 if a.torch_threads == "auto" else int(a.torch_threads)
    set_threads(threads, a.blas_threads)
    t0 = time.perf_counter()
    num_tr, ids_tr, y_tr, vocab_maps, num_names, cat_names = load_tabl_csv(os.path.join(a.tabl, "train.csv"))
    num_te, ids_te, y_te, _, _, _ = load_tabl_csv(os.path.join(a.tabl, "test.csv"), vocab_maps)
    mean, sd = zscore_stats(num_tr)
    # Missing cells get the training mean, i.e. 0 after z-scoring.
    z_tr = np.nan_to_num((num_tr - mean) / sd, nan=0.0).astype(np.float32)
    z_te = np.nan_to_num((num_te - mean) / sd, nan=0.0).astype(np.float32)
    missing_test = int(np.isnan(num_te).sum())
    unknown_test = int(sum((ids_te[:, c] == len(m)).sum() for c, m in enumerate(vocab_maps)))
    del num_tr, num_te
    load_s = time.perf_counter() - t0
    rss_after_load = peak_rss_mb()
    vocab_sizes = [len(m) for m in vocab_maps]

    model, times = train_torch(z_tr, ids_tr, y_tr, vocab_sizes, dim=8, batch=256, epochs=3, seed=0)
    s_epoch = statistics.median(times[1:])
    acc, auc = accuracy_auc(y_te, torch_scores(model, z_te, ids_te))
    result = {"workload": "TAB-L", "data": a.tabl, "train_rows": len(y_tr), "test_rows": len(y_te),
              "vocab_sizes": vocab_sizes, "test_missing_numeric_cells": missing_test,
              "test_unknown_category_cells": unknown_test,
              "torch_threads": threads, "blas_threads": a.blas_threads or "default",
              "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", ""),
              "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE", ""),
              "load_seconds": load_s, "epoch_seconds": times, "seconds_per_epoch": s_epoch,
              "samples_per_second": len(y_tr) / s_epoch, "test_accuracy": acc, "test_auc": auc,
              "peak_rss_mb_after_load": rss_after_load, "peak_rss_mb": peak_rss_mb(),
              "torch": torch.__version__, "load_average": os.getloadavg()}
    print(f"TAB-L torch {threads} thread(s), BLAS threads {result['blas_threads']}, "
          f"OMP_WAIT_POLICY={result['omp_wait_policy'] or 'default'}, "
          f"OPENBLAS_CORETYPE={result['openblas_coretype'] or 'unset'}: "
          f"load {load_s:.1f} s; epochs {', '.join(f'{t:.2f}' for t in times)} s -> {s_epoch:.2f} s/epoch, "
          f"{result['samples_per_second']:.0f} samples/s; test accuracy {acc:.4f}, AUC {auc:.4f}; "
          f"peak RSS {result['peak_rss_mb']} MB ({rss_after_load} MB after load)", flush=True)
    return result


SWEEP = [  # (extra environment, torch threads, BLAS threads)
    ({}, 1, None),
    ({}, 2, None),
    ({"OMP_WAIT_POLICY": "PASSIVE"}, 2, None),
    ({"OPENBLAS_CORETYPE": "Cooperlake"}, 1, None),
]


def run_tabl_sweep(a):
    runs = []
    for extra, t, b in SWEEP:
        env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
        env.update(extra)
        cmd = [sys.executable, os.path.abspath(__file__), "--tabl", a.tabl, "--torch-threads", str(t), "--json", "-"]
        if b:
            cmd += ["--blas-threads", str(b)]
        out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
        print(out.splitlines()[0], flush=True)
        runs.append(json.loads(out.splitlines()[-1]))
    best = min(runs, key=lambda r: r["seconds_per_epoch"])
    print(f"best: torch {best['torch_threads']} thread(s), OMP_WAIT_POLICY={best['omp_wait_policy'] or 'default'}, "
          f"OPENBLAS_CORETYPE={best['openblas_coretype'] or 'unset'}: {best['seconds_per_epoch']:.2f} s/epoch, "
          f"{best['samples_per_second']:.0f} samples/s, accuracy {best['test_accuracy']:.4f}, "
          f"peak RSS {best['peak_rss_mb']} MB")
    return {"workload": "TAB-L", "runs": runs, "best": best}


def main():
    ap = argparse.ArgumentParser(description="TAB / TAB-L peers (see the module docstring)")
    ap.add_argument("--csv", default=os.path.join(os.path.dirname(__file__), "..", "datasets", "credit", "credit-g.csv"),
                    help="German credit CSV (scripts/fetch-tabular.sh)")
    ap.add_argument("--tabl", metavar="DIR", help="run TAB-L on DIR/train.csv and DIR/test.csv instead")
    ap.add_argument("--sweep", action="store_true", help="with --tabl: try the thread configurations, keep the fastest")
    ap.add_argument("--torch-threads", default="auto", help="auto (TAB: probe 1 and 2; TAB-L: 1), or a number")
    ap.add_argument("--blas-threads", type=int, default=None, help="openblas_set_num_threads (default: leave alone)")
    ap.add_argument("--json", metavar="FILE", help="write all figures as JSON ('-': last line of stdout)")
    a = ap.parse_args()
    if a.tabl:
        result = run_tabl_sweep(a) if a.sweep else run_tabl(a)
    else:
        result = run_tab(a)
    if a.json == "-":
        print(json.dumps(result))
    elif a.json:
        with open(a.json, "w") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
