#!/usr/bin/python3
"""The MLP / CNN / BNCNN / RESMLP / SEQ workloads (docs/design.md, "Reference workloads") in PyTorch, timed
like bench/workload_train (seconds of training work per epoch, median of
epochs 2..N; test accuracy; peak RSS). Prints one JSON object.

  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 bench/torch_train.py \
      --model mlp --data datasets/mnist --torch-threads 1 --blas-threads 2

Denormals are flushed (torch.set_flush_denormal), as instnn does while
training. Debian's torch uses the system OpenBLAS for its GEMMs and does not set its
thread count, so --blas-threads sets it through openblas_set_num_threads.
"""
import argparse, ctypes, ctypes.util, gzip, json, os, resource, time

import numpy as np
import torch
from torch import nn


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def find(directory, stem, tag):
    for sep in "-.":
        for ext in ("", ".gz"):
            p = os.path.join(directory, f"{stem}{sep}{tag}-ubyte{ext}")
            if os.path.exists(p):
                return p
    raise FileNotFoundError(f"{stem} in {directory}")


class ResMLP(nn.Module):
    """RESMLP: h1 = relu(W1 x), h2 = relu(W2 h1), r1 = h1 + h2, h3 = relu(W3 r1), r2 = r1 + h3, logits = W4 r2."""

    def __init__(self):
        super().__init__()
        self.h1, self.h2, self.h3 = nn.Linear(784, 128), nn.Linear(128, 128), nn.Linear(128, 128)
        self.out = nn.Linear(128, 10)

    def forward(self, x):
        h1 = torch.relu(self.h1(torch.flatten(x, 1)))
        r1 = h1 + torch.relu(self.h2(h1))
        r2 = r1 + torch.relu(self.h3(r1))
        return self.out(r2)


class SeqLSTM(nn.Module):
    """SEQ: the 28 rows of an image as 28 steps -> LSTM(128), initialised as Keras's
    (glorot_uniform kernel, orthogonal recurrent kernel, zero bias, forget bias 1)
    so that both frameworks train the same model -> last hidden state -> Linear 128->10."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(28, 128, batch_first=True)
        self.out = nn.Linear(128, 10)
        units = 128
        with torch.no_grad():
            # PyTorch stacks the gates as rows (i, f, g, o), Keras as columns (i, f, c, o).
            w = torch.empty(28, 4 * units)
            nn.init.xavier_uniform_(w)
            self.lstm.weight_ih_l0.copy_(w.T)
            r = torch.empty(units, 4 * units)
            nn.init.orthogonal_(r)
            self.lstm.weight_hh_l0.copy_(r.T)
            self.lstm.bias_ih_l0.zero_()
            self.lstm.bias_hh_l0.zero_()
            self.lstm.bias_ih_l0[units:2 * units] = 1.0

    def forward(self, x):
        _, (h, _) = self.lstm(x.reshape(-1, 28, 28))
        return self.out(h[-1])


def model_for(name):
    if name == "resmlp":
        return ResMLP()
    if name == "seq":
        return SeqLSTM()
    if name == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128),
                             nn.ReLU(), nn.Linear(128, 10))
    bn = name == "bncnn"
    layers = []
    for cin, cout in ((1, 32), (32, 64)):
        layers.append(nn.Conv2d(cin, cout, 3))
        if bn:
            layers.append(nn.BatchNorm2d(cout, momentum=0.01, eps=1e-3))
        layers += [nn.ReLU(), nn.MaxPool2d(2)]
    layers += [nn.Flatten(), nn.Dropout(0.5), nn.Linear(1600, 10)]
    return nn.Sequential(*layers)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="mlp")
    ap.add_argument("--data", default="datasets/mnist")
    ap.add_argument("--epochs", type=int, default=0)
    ap.add_argument("--torch-threads", type=int, default=1)
    ap.add_argument("--blas-threads", type=int, default=0)
    ap.add_argument("--seed", type=int, default=42)
    a = ap.parse_args()
    dense = a.model in ("mlp", "resmlp", "seq")
    epochs = a.epochs or (5 if a.model in ("mlp", "resmlp") else 3)
    batch = 64 if a.model in ("mlp", "resmlp") else 128

    torch.set_num_threads(a.torch_threads)
    # Part of PyTorch's best configuration: Adam moments of rarely-active
    # weights decay into denormals, which slow every later epoch on x86.
    torch.set_flush_denormal(True)
    if a.blas_threads:
        lib = ctypes.CDLL(ctypes.util.find_library("openblas") or "libopenblas.so.0")
        lib.openblas_set_num_threads(a.blas_threads)
    torch.manual_seed(a.seed)

    shape = (-1, 784) if dense else (-1, 1, 28, 28)
    x_train = torch.from_numpy(read_idx(find(a.data, "train-images", "idx3")).astype(np.float32) / 255).reshape(shape)
    y_train = torch.from_numpy(read_idx(find(a.data, "train-labels", "idx1")).astype(np.int64))
    x_test = torch.from_numpy(read_idx(find(a.data, "t10k-images", "idx3")).astype(np.float32) / 255).reshape(shape)
    y_test = torch.from_numpy(read_idx(find(a.data, "t10k-labels", "idx1")).astype(np.int64))

    model = model_for(a.model)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()
    seconds = []
    for _ in range(epochs):
        model.train()
        order = torch.randperm(len(x_train))
        start = time.perf_counter()
        for i in range(0, len(order), batch):
            idx = order[i:i + batch]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(x_train[idx]), y_train[idx])
            loss.backward()
            opt.step()
        seconds.append(time.perf_counter() - start)
    model.eval()
    with torch.no_grad():
        correct = sum(int((model(x_test[i:i + 1000]).argmax(1) == y_test[i:i + 1000]).sum())
                      for i in range(0, len(x_test), 1000))
    steady = sorted(seconds[1:] or seconds)
    print(json.dumps({
        "framework": "pytorch " + torch.__version__, "model": a.model,
        "torch_threads": a.torch_threads, "blas_threads": a.blas_threads,
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", ""),
        "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE", ""),
        "epochs": epochs, "batch_size": batch,
        "seconds_per_epoch": round(steady[len(steady) // 2], 4),
        "epoch_seconds": [round(s, 4) for s in seconds],
        "test_accuracy": correct / len(x_test),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}))


if __name__ == "__main__":
    main()
