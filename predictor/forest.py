"""A fitted scikit-learn random forest flattened into arrays, walked for many rows and trees at once.

Why: scikit-learn scores a forest tree by tree in Python, which costs milliseconds for one row, and it has no
explanation. Walking all trees together in NumPy is exact (same splits, same missing-value routing, same leaf
values; checked against `predict_proba` in the tests) and yields the Saabas path decomposition on the way down:
each split's change in the node's positive-class fraction is credited to the split's feature, so per tree
`root value + sum of credits = leaf value`, and averaged over trees `bias + sum(contributions) = predict_proba`.
"""

from __future__ import annotations

import numpy as np
from sklearn.ensemble import RandomForestClassifier

_ROWS_PER_CHUNK = 4096  # bounds the (rows x trees) working arrays to a few tens of MB
_ROWS_WALKED = 32  # up to here walking all trees at once beats a compiled call per tree


class FlatForest:
    def __init__(self, forest: RandomForestClassifier) -> None:
        trees = [estimator.tree_ for estimator in forest.estimators_]
        offsets = np.cumsum([0] + [tree.node_count for tree in trees])
        self.n_features = int(forest.n_features_in_)
        self.roots = offsets[:-1].astype(np.int64)
        self.n_trees = len(trees)
        left, right, feature, threshold, missing_left, value = [], [], [], [], [], []
        for tree, offset in zip(trees, offsets[:-1], strict=True):
            is_leaf = tree.children_left == -1
            left.append(np.where(is_leaf, -1, tree.children_left + offset))
            right.append(np.where(is_leaf, -1, tree.children_right + offset))
            feature.append(np.where(is_leaf, 0, tree.feature))
            threshold.append(tree.threshold)
            missing_left.append(tree.missing_go_to_left.astype(bool))
            # value holds class fractions per node; column 1 is the positive class.
            value.append(tree.value[:, 0, 1])
        self.left = np.concatenate(left).astype(np.int64)
        self.right = np.concatenate(right).astype(np.int64)
        self.feature = np.concatenate(feature).astype(np.int64)
        self.threshold = np.concatenate(threshold)
        self.missing_left = np.concatenate(missing_left)
        self.value = np.concatenate(value)
        self.bias = float(self.value[self.roots].mean())
        self.max_depth = max(int(estimator.get_depth()) for estimator in forest.estimators_)
        # For `probability`: each tree's compiled leaf lookup and its leaves' positive-class fractions.
        self.trees = trees
        self.tree_values = [np.ascontiguousarray(tree.value[:, 0, 1], dtype=np.float64) for tree in trees]

    def probability(self, X: np.ndarray) -> np.ndarray:
        """`predict_proba(X)[:, 1]` bit for bit, without its per-call overhead.

        Why: scikit-learn's predict_proba validates X, then dispatches one joblib task per tree (a few ms for one
        row). This finds the same leaves (the same comparisons, missing values included), adds the trees' leaf
        values in the same order starting from zero and divides by the number of trees, as predict_proba does, so
        the sum rounds the same way. A few rows walk all trees at once in NumPy; more call each tree's compiled
        `apply`, which is faster per row.
        """
        X = np.ascontiguousarray(X, dtype=np.float32)
        if X.shape[0] <= _ROWS_WALKED:
            node, _ = self._walk(X, explain=False)
            # cumsum adds along the trees one after the other, as predict_proba's loop does.
            total = np.cumsum(self.value[node], axis=1)[:, -1]
        else:
            total = np.zeros(X.shape[0])
            for tree, values in zip(self.trees, self.tree_values, strict=True):
                total += values[tree.apply(X)]
        total /= self.n_trees
        return total

    def explain(self, X: np.ndarray, *, explain: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
        """Return (probability of the positive class, per-feature contributions or None) for each row of X."""
        X = np.asarray(X, dtype=np.float32)
        probabilities = np.empty(X.shape[0])
        contributions = np.empty((X.shape[0], self.n_features)) if explain else None
        for start in range(0, X.shape[0], _ROWS_PER_CHUNK):
            stop = start + _ROWS_PER_CHUNK
            node, credit = self._walk(X[start:stop], explain=explain)
            probabilities[start:stop] = self.value[node].mean(axis=1)
            if contributions is not None:
                contributions[start:stop] = credit
        return probabilities, contributions

    def _walk(self, X: np.ndarray, *, explain: bool) -> tuple[np.ndarray, np.ndarray | None]:
        """(The leaf each row reaches in each tree, per-feature contributions or None)."""
        n_rows = X.shape[0]
        node = np.repeat(self.roots[None, :], n_rows, axis=0)
        row = np.repeat(np.arange(n_rows)[:, None], self.n_trees, axis=1)
        credit = np.zeros(n_rows * self.n_features) if explain else np.zeros(0)
        for _ in range(self.max_depth):
            left = self.left[node]
            inner = left != -1
            if not inner.any():
                break
            feature = self.feature[node]
            x = X[row, feature].astype(np.float64)
            go_left = np.where(np.isnan(x), self.missing_left[node], x <= self.threshold[node])
            child = np.where(inner, np.where(go_left, left, self.right[node]), node)
            if explain:
                delta = self.value[child] - self.value[node]
                flat = (row * self.n_features + feature)[inner]
                credit += np.bincount(flat, weights=delta[inner], minlength=credit.size)
            node = child
        if not explain:
            return node, None
        return node, credit.reshape(n_rows, self.n_features) / self.n_trees
