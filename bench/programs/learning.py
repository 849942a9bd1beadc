"""Machine learning: softmax, logsumexp, layer norm, k-means, a GELU MLP, logistic regression, cross-entropy,
cosine similarity."""
from __future__ import annotations

import numpy as np
from scipy.special import erf

from bench.programs.program import Program


def softmax(x):
    """Row softmax, shifted by the row maximum."""
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def logsumexp(x):
    """Row log-sum-exp, shifted by the row maximum."""
    m = x.max(axis=1, keepdims=True)
    return m[:, 0] + np.log(np.exp(x - m).sum(axis=1))


def layer_norm(x, gamma, beta):
    """Normalise each row, then scale and shift per feature."""
    mean = x.mean(axis=-1, keepdims=True)
    var = x.var(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + 1e-5) * gamma + beta


def _setup_rows(n, seed):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n, 1000)) * 3.0,)


def _setup_layer_norm(n):
    rng = np.random.default_rng(403)
    return rng.standard_normal((n, 1000)) * 3.0 + 1.0, rng.random(1000) + 0.5, rng.standard_normal(1000)


def kmeans_step(points, centroids):
    """One Lloyd iteration: squared distances by the dot-product identity, nearest centroid, new centroids,
    inertia."""
    d2 = ((points * points).sum(axis=1)[:, None] - 2.0 * (points @ centroids.T)
          + (centroids * centroids).sum(axis=1)[None, :])
    labels = np.argmin(d2, axis=1)
    members = labels[:, None] == np.arange(centroids.shape[0])[None, :]
    counts = members.sum(axis=0)
    new_centroids = (members.T.astype(points.dtype) @ points) / np.maximum(counts, 1)[:, None]
    inertia = np.take_along_axis(d2, labels[:, None], axis=1).sum()
    return labels, new_centroids, inertia


def _setup_kmeans_step(n):
    rng = np.random.default_rng(404)
    centres = rng.uniform(-10.0, 10.0, (16, 8))
    points = centres[rng.integers(0, 16, n)] + rng.standard_normal((n, 8))
    return points, points[:16].copy()


def mlp_gelu(x, w1, b1, w2, b2):
    """Two dense layers with an exact (erf) GELU between them, softmax output."""
    h = x @ w1 + b1
    h = 0.5 * h * (1.0 + erf(h / np.sqrt(2.0)))
    logits = h @ w2 + b2
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _setup_mlp_gelu(n):
    rng = np.random.default_rng(405)
    return (rng.standard_normal((n, 64)), rng.standard_normal((64, 512)) / 8.0, rng.standard_normal(512) * 0.1,
            rng.standard_normal((512, 10)) / 22.0, rng.standard_normal(10) * 0.1)


def logistic_regression(X, y, w, lr, steps):
    """Full-batch gradient descent on the logistic loss; returns the weights and the final loss."""
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(X @ w)))
        w = w - lr * (X.T @ (p - y)) / X.shape[0]
    p = 1.0 / (1.0 + np.exp(-(X @ w)))
    loss = -np.mean(y * np.log(p) + (1.0 - y) * np.log1p(-p))
    return w, loss


def _setup_logistic_regression(n):
    rng = np.random.default_rng(406)
    X = rng.standard_normal((n, 32))
    y = (X @ rng.standard_normal(32) + rng.standard_normal(n) > 0).astype(np.float64)
    return X, y, np.zeros(32), 0.5, 20


def cross_entropy(logits, labels):
    """Mean cross-entropy of integer labels and its gradient with respect to the logits."""
    n = logits.shape[0]
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -np.take_along_axis(log_probs, labels[:, None], axis=1).mean()
    grad = np.exp(log_probs)
    grad[np.arange(n), labels] -= 1.0
    return loss, grad / n


def _setup_cross_entropy(n):
    rng = np.random.default_rng(407)
    return rng.standard_normal((n, 100)) * 2.0, rng.integers(0, 100, n)


def cosine_similarity(a, b):
    """Cosine similarity of every row of a with every row of b, and each row's best match."""
    a_unit = a / np.linalg.norm(a, axis=1, keepdims=True)
    b_unit = b / np.linalg.norm(b, axis=1, keepdims=True)
    sim = a_unit @ b_unit.T
    return sim, sim.argmax(axis=1)


def _setup_cosine_similarity(n):
    rng = np.random.default_rng(408)
    return rng.standard_normal((n, 128)), rng.standard_normal((n, 128))


PROGRAMS = [
    Program("softmax", softmax, lambda n: _setup_rows(n, 401), 4000, 8, rtol=1e-12,
            about="row softmax of a 4000x1000 matrix"),
    Program("logsumexp", logsumexp, lambda n: _setup_rows(n, 402), 4000, 8, rtol=1e-12,
            about="row log-sum-exp of a 4000x1000 matrix"),
    Program("layer_norm", layer_norm, _setup_layer_norm, 4000, 8, rtol=1e-11, atol=1e-12,
            about="row mean/var normalisation, per-feature scale and shift"),
    Program("kmeans_step", kmeans_step, _setup_kmeans_step, 300_000, 40, rtol=1e-9, atol=1e-9,
            about="distances by the dot-product identity, argmin, one-hot @ points, inertia"),
    Program("mlp_gelu", mlp_gelu, _setup_mlp_gelu, 12_000, 16, rtol=1e-10, atol=1e-14,
            about="x @ W1 + b1, erf GELU, @ W2 + b2, softmax"),
    Program("logistic_regression", logistic_regression, _setup_logistic_regression, 60_000, 40, rtol=1e-9,
            atol=1e-12, about="20 gradient-descent steps on the logistic loss"),
    Program("cross_entropy", cross_entropy, _setup_cross_entropy, 60_000, 16, rtol=1e-11, atol=1e-15,
            about="log-softmax, picked log-probabilities, gradient with a fancy-index in-place update"),
    Program("cosine_similarity", cosine_similarity, _setup_cosine_similarity, 3000, 12, rtol=1e-11,
            atol=1e-12, about="np.linalg.norm row normalisation, a @ b.T, argmax"),
]
