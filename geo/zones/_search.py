"""Local search on a contiguous assignment, in rounds of vectorised compound moves.

A move is one unit going to a neighbouring zone, a *swap* (two units trading zones) or a
*chain* (a unit enters zone ``y`` while another leaves ``y`` for a third zone; chains serve
zones outside their band). A round scores every move at once, keeps the best moves that share
no zone, applies them, undoes those that break a zone apart (one connected-components pass on
the touched zones) and tries again with the rest. Moves first reduce band violation (the
cheapest per unit of violation removed first), then cost; rounds stop when nothing helps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.sparse.csgraph import connected_components

from geo.zones._arrays import ranks, sums
from geo.zones._repair import viol
from geo.zones._sub import Sub

__all__ = ["local_search"]

IntArray = NDArray[np.intp]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
#: attempts per round to find moves that keep zones connected
_SUB_ROUNDS = 12
#: attempts per round before giving up when nothing could be applied
_MAX_ATTEMPTS = 40


@dataclass(frozen=True)
class _Moves:
    """``u1: f1 -> t1`` then (if ``u2 >= 0``) ``u2: f2 -> t2``."""

    u1: IntArray
    f1: IntArray
    t1: IntArray
    u2: IntArray
    f2: IntArray
    t2: IntArray
    dcost: FloatArray

    def take(self, idx: IntArray | BoolArray) -> _Moves:
        return _Moves(*(getattr(self, k)[idx] for k in self.__dataclass_fields__))

    @property
    def zones(self) -> IntArray:
        return np.stack([self.f1, self.t1, self.f2, self.t2], axis=1)


def local_search(
    sub: Sub, z: IntArray, *, improve: bool = True, chains: bool = False, max_rounds: int = 500
) -> IntArray:
    """Improve ``z`` (local station per unit) by boundary moves, swaps and chains that keep
    every zone connected and never move fixed units. Returns a new array."""
    z = z.copy()
    a_all = np.concatenate([sub.ea, sub.eb])
    b_all = np.concatenate([sub.eb, sub.ea])
    movable = sub.fixed[a_all] < 0
    a_all, b_all = a_all[movable], b_all[movable]
    eps_w = 1e-9 * max(float(sub.w.sum()), 1.0)
    current = sub.cost(np.arange(sub.n), np.maximum(z, 0))
    for _ in range(max_rounds):
        load = sums(z[z >= 0], sub.w[z >= 0], sub.m)
        moves = _candidates(
            sub,
            z,
            (a_all, b_all),
            current=current,
            load=load,
            eps_w=eps_w,
            focus=not improve,
            chains=chains,
        )
        if moves is None:
            break
        dviol = _dviol(sub, load, moves)
        tol = 1e-9 * (np.abs(current[moves.u1]) + 1.0)
        fixing = dviol < -eps_w
        good = fixing | (improve & (dviol <= eps_w) & (moves.dcost < -tol))
        if not good.any():
            break
        moves, dviol, fixing = moves.take(good), dviol[good], fixing[good]
        score = np.where(fixing, moves.dcost / np.maximum(-dviol, eps_w), moves.dcost)
        order = np.lexsort((moves.u2, moves.t1, moves.u1, score, ~fixing))
        done = _apply_round(sub, z, moves.take(order))
        if done.size == 0:
            break
        current[done] = sub.cost(done, z[done])
    return z


def _near(sub: Sub, z: IntArray, zones: BoolArray) -> BoolArray:
    """``zones`` and the zones that touch them."""
    za, zb = z[sub.ea], z[sub.eb]
    near = zones.copy()
    near[za[zones[zb]]] = True
    near[zb[zones[za]]] = True
    return near


def _singles(
    sub: Sub, z: IntArray, a_all: IntArray, b_all: IntArray
) -> tuple[IntArray, IntArray, IntArray]:
    s, t = z[a_all], z[b_all]
    c = (s != t) & (t >= 0) & (s >= 0)
    key = np.unique(a_all[c].astype(np.int64) * sub.m + t[c])
    a, t = (key // sub.m).astype(np.intp), (key % sub.m).astype(np.intp)
    ok = sub.allowed(a, t)
    return a[ok], z[a[ok]], t[ok]


def _candidates(
    sub: Sub,
    z: IntArray,
    edges: tuple[IntArray, IntArray],
    *,
    current: FloatArray,
    load: FloatArray,
    eps_w: float,
    focus: bool,
    chains: bool,
) -> _Moves | None:
    a, s, t = _singles(sub, z, *edges)
    if focus:
        near = _near(sub, z, viol(load, sub.lower, sub.upper) > eps_w)
        keep = near[s] | near[t]
        a, s, t = a[keep], s[keep], t[keep]
    if a.size == 0:
        return None
    gain = sub.cost(a, t) - current[a]
    none = np.full(a.size, -1, dtype=np.intp)
    parts = [_Moves(a, s, t, none, none, none, gain)]
    i, k = _pairs_by(s, t, t, s, sub.m)
    keep = s[i] < t[i]
    i, k = i[keep], k[keep]
    parts.append(_Moves(a[i], s[i], t[i], a[k], s[k], t[k], gain[i] + gain[k]))
    if chains:
        i, k = _chains(s, t, load > sub.upper + eps_w, load < sub.lower - eps_w, sub.m)
        keep = (a[i] != a[k]) & (s[i] != t[k])
        i, k = i[keep], k[keep]
        parts.append(_Moves(a[i], s[i], t[i], a[k], s[k], t[k], gain[i] + gain[k]))
    return _Moves(
        *(np.concatenate([getattr(p, f) for p in parts]) for f in _Moves.__dataclass_fields__)
    )


def _chains(
    s: IntArray, t: IntArray, over: BoolArray, under: BoolArray, m: int
) -> tuple[IntArray, IntArray]:
    """Pairs of single moves ``(i, k)`` with ``t[i] == s[k]`` that start in an overloaded
    zone or end in an underloaded one."""
    zero = np.zeros(1, dtype=np.intp)
    first = np.flatnonzero(over[s])
    i1, k1 = _pairs_by(t[first], zero.repeat(first.size), s, zero.repeat(s.size), m)
    last = np.flatnonzero(under[t])
    k2, i2 = _pairs_by(s[last], zero.repeat(last.size), t, zero.repeat(t.size), m)
    key = np.unique(
        np.concatenate([first[i1], i2]).astype(np.int64) * s.size + np.concatenate([k1, last[k2]])
    )
    return (key // s.size).astype(np.intp), (key % s.size).astype(np.intp)


def _pairs_by(
    x1: IntArray, y1: IntArray, x2: IntArray, y2: IntArray, m: int
) -> tuple[IntArray, IntArray]:
    """All index pairs ``(i, k)`` with ``(x1[i], y1[i]) == (x2[k], y2[k])``."""
    key1 = x1.astype(np.int64) * m + y1
    key2 = x2.astype(np.int64) * m + y2
    order = np.argsort(key2, kind="stable")
    sk = key2[order]
    lo = np.searchsorted(sk, key1)
    count = np.searchsorted(sk, key1, side="right") - lo
    i = np.repeat(np.arange(key1.size), count)
    k = order[np.repeat(lo, count) + ranks(count)]
    return i.astype(np.intp), k.astype(np.intp)


def _dviol(sub: Sub, load: FloatArray, mv: _Moves) -> FloatArray:
    """Change of total band violation of every move."""
    n_moves, m = mv.u1.size, sub.m
    w1 = sub.w[mv.u1]
    w2 = np.where(mv.u2 >= 0, sub.w[np.maximum(mv.u2, 0)], 0.0)
    zone = mv.zones.ravel()
    delta = np.stack([-w1, w1, -w2, w2], axis=1).ravel()
    move = np.repeat(np.arange(n_moves, dtype=np.int64), 4)
    live = zone >= 0
    key, inv = np.unique(move[live] * m + zone[live], return_inverse=True)
    dsum = sums(inv, delta[live])
    zz = (key % m).astype(np.intp)
    lo, hi = sub.lower[zz], sub.upper[zz]
    change = viol(load[zz] + dsum, lo, hi) - viol(load[zz], lo, hi)
    return sums(key // m, change, n_moves)


def _select(zones: IntArray) -> IntArray:
    """Of moves sorted best first, those that come first for every zone they touch."""
    n_moves = zones.shape[0]
    move = np.repeat(np.arange(n_moves), zones.shape[1])
    zone = zones.ravel()
    live = zone >= 0
    move, zone = move[live], zone[live]
    key = np.unique(zone.astype(np.int64) * n_moves + move)
    zone, move = key // n_moves, (key % n_moves).astype(np.intp)
    owner = np.zeros(move.size, dtype=bool)
    owner[np.unique(zone, return_index=True)[1]] = True
    owned = np.bincount(move[owner], minlength=n_moves)
    touched = np.bincount(move, minlength=n_moves)
    return np.flatnonzero(owned == touched)


def _apply_round(sub: Sub, z: IntArray, mv: _Moves) -> IntArray:
    """Apply the best moves that share no zone; undo those that split a zone; repeat with
    the rest. Returns the units moved."""
    busy = np.zeros(sub.m, dtype=bool)
    blocked = np.zeros(mv.u1.size, dtype=bool)
    moved: list[IntArray] = []
    zones = mv.zones
    for attempt in range(_MAX_ATTEMPTS):
        ok = ~blocked & ~(busy[np.maximum(zones, 0)] & (zones >= 0)).any(axis=1)
        if not ok.any() or (attempt >= _SUB_ROUNDS and moved):
            break
        pick = np.flatnonzero(ok)[_select(zones[ok])]
        p = mv.take(pick)
        two = p.u2 >= 0
        z[p.u1] = p.t1
        z[p.u2[two]] = p.t2[two]
        touched = np.zeros(sub.m, dtype=bool)
        touched[zones[pick][zones[pick] >= 0]] = True
        pieces = _pieces_of(sub, z, touched)
        zp = zones[pick]
        bad = ((pieces[np.maximum(zp, 0)] != 1) & (zp >= 0)).any(axis=1)
        z[p.u2[two & bad]] = p.f2[two & bad]
        z[p.u1[bad]] = p.f1[bad]
        busy[zp[~bad][zp[~bad] >= 0]] = True
        blocked[pick[bad]] = True
        if (~bad).any():
            moved.extend([p.u1[~bad], p.u2[two & ~bad]])
    return np.concatenate(moved) if moved else np.empty(0, dtype=np.intp)


def _pieces_of(sub: Sub, z: IntArray, zones: BoolArray) -> IntArray:
    """Number of connected pieces of every zone flagged in ``zones`` (0 for the others)."""
    inside = (z >= 0) & zones[np.maximum(z, 0)]
    units = np.flatnonzero(inside)
    local = np.full(z.size, -1, dtype=np.intp)
    local[units] = np.arange(units.size)
    e = inside[sub.ea] & (z[sub.ea] == z[sub.eb])
    g = sp.csr_array(
        (np.ones(int(e.sum()), dtype=bool), (local[sub.ea[e]], local[sub.eb[e]])),
        shape=(units.size, units.size),
    )
    labels = connected_components(g, directed=False)[1]
    base = int(labels.max()) + 1 if labels.size else 1
    pairs = np.unique(z[units].astype(np.int64) * base + labels)
    return np.bincount((pairs // base).astype(np.intp), minlength=sub.m)
