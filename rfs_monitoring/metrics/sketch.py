"""A lean, mergeable latency sketch with 1% relative accuracy (DDSketch-style log buckets).

A value ``x > 0`` falls into bucket ``i = ceil(log_gamma(x))`` with
``gamma = (1 + a) / (1 - a)`` and ``a = RELATIVE_ACCURACY``; bucket ``i`` is represented by
``2 * gamma**i / (gamma + 1)``, which is within ``a`` of every value in the bucket. So every
quantile read from the sketch is within 1% (relative) of the exact sample at the same rank
(rank ``floor(q * (n - 1))``, as in DDSketch). Values ``<= ZERO_THRESHOLD_MS`` count in a
separate zero bucket, values above ``MAX_TRACKED_MS`` are clamped to it.

The counts are held densely (``array('q')`` from the lowest to the highest bucket seen), so
merging two sketches is a C-level slice addition and a sketch costs 8 bytes per bucket in its
range. Adding a batch goes through C-level ``map``/``Counter`` (about 0.1 µs a value), which
is why the collector buffers raw durations for one second and folds them in one go. The
benchmark ``benchmarks/bench_metrics.py`` compares this with the ``ddsketch`` package.
"""

from __future__ import annotations

import math
import struct
import sys
from array import array
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Sequence
from itertools import accumulate, repeat
from operator import add, sub

__all__ = [
    "MAX_COUNT",
    "MAX_TRACKED_MS",
    "RELATIVE_ACCURACY",
    "ZERO_THRESHOLD_MS",
    "LatencySketch",
]

RELATIVE_ACCURACY = 0.01
"""Every quantile is within this relative error of the exact value at its rank."""

ZERO_THRESHOLD_MS = 1e-6
"""Durations at or below this (1 ns) count as zero."""

MAX_TRACKED_MS = 1e10
"""Durations above this (about 116 days) are clamped to it."""

MAX_COUNT = 2**48
"""The most values a decoded bucket may count (``from_bytes``): 2**14 such buckets still
sum below 2**62, so adding counts as integer lanes (``merged``) never carries into the next
lane. Recording reaches it after about 89 years at 100,000 calls per second."""

_GAMMA = (1.0 + RELATIVE_ACCURACY) / (1.0 - RELATIVE_ACCURACY)
_LOG_GAMMA = math.log(_GAMMA)
_VALUE_FACTOR = 2.0 / (_GAMMA + 1.0)
_MIN_INDEX = math.ceil(math.log(ZERO_THRESHOLD_MS, _GAMMA)) + 1
_MAX_INDEX = math.ceil(math.log(MAX_TRACKED_MS, _GAMMA))
_HEADER = struct.Struct("<qqq")  # version, offset, zeros
_FORMAT_VERSION = 1
_ITEMSIZE = array("q").itemsize


_LANE_BITS = 8 * _ITEMSIZE
"""Bits of a count's lane (``merged`` shifts each range by the lanes below it)."""
_SHORT = 16
"""Ranges shorter than this are added and widened element by element (``_add_at``)."""
_LITTLE = sys.byteorder == "little"
_LANES = (0, 1, 2, 3) if _LITTLE else (4, 5, 6, 7)
"""Where the four bytes of an ``'I'`` count land in its eight-byte ``'q'`` lane."""


def _widened(counts: array[int]) -> array[int]:
    """``counts`` as a new ``array('q')``: a copy for ``'q'``; for the 4-byte counts of a
    compacted sketch (``'I'``), its bytes spread into 8-byte lanes by four strided C-level
    copies (``array('q', counts)`` converts each element through a Python int: about 2x
    slower for 100 sketches, ``benchmarks/bench_metrics.py``)."""
    if counts.typecode == "q":
        return array("q", counts)
    if len(counts) < _SHORT:
        return array("q", counts.tolist())  # a few counts: element by element is quicker
    if counts.typecode != "I" or counts.itemsize != 4 or _ITEMSIZE != 8:  # pragma: no cover
        return array("q", counts)  # another platform's sizes: the element-wise way
    narrow = counts.tobytes()
    wide = bytearray(2 * len(narrow))
    for byte, lane in enumerate(_LANES):
        wide[lane::8] = narrow[byte::4]
    widened = array("q")
    widened.frombytes(wide)
    return widened


def _add_at(counts: array[int], start: int, theirs: array[int]) -> None:
    """Add ``theirs`` to ``counts[start:start + len(theirs)]`` (``counts`` is ``'q'``).

    Counts are never negative (``add_many`` only adds, ``subtract`` stops at zero,
    ``from_bytes`` refuses a negative one) and stay far below 2**62 (``from_bytes`` refuses
    one above ``MAX_COUNT``), so the 8-byte lanes of two ranges add as two integers: one
    C-level big-integer addition, no carry crossing a lane (about 2x the speed of
    ``array('q', map(add, ...))`` for a 200-bucket range added into a window's copy,
    ``benchmarks/bench_metrics.py``)."""
    if len(theirs) < _SHORT:  # a few counts (a second's): element by element is quicker
        end = start + len(theirs)
        counts[start:end] = array("q", map(add, counts[start:end], theirs))
        return
    if theirs.typecode != "q":
        theirs = _widened(theirs)
    size = len(theirs) * _ITEMSIZE
    lanes = memoryview(counts)[start : start + len(theirs)]
    total = int.from_bytes(lanes, sys.byteorder) + int.from_bytes(theirs, sys.byteorder)
    lanes[:] = memoryview(total.to_bytes(size, sys.byteorder)).cast("q")


def _index(value: float) -> int:
    return min(max(math.ceil(math.log(value, _GAMMA)), _MIN_INDEX), _MAX_INDEX)


def _value(index: int) -> float:
    return math.exp(index * _LOG_GAMMA) * _VALUE_FACTOR


class LatencySketch:
    """Counts of durations in log buckets; mergeable, serialisable, 1% relative accuracy."""

    __slots__ = ("counts", "offset", "zeros")

    def __init__(self) -> None:
        self.offset = 0
        self.counts: array[int] = array("q")
        self.zeros = 0

    @property
    def count(self) -> int:
        """How many values the sketch holds."""
        return sum(self.counts) + self.zeros

    def __len__(self) -> int:
        return self.count

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LatencySketch):
            return NotImplemented
        return self.zeros == other.zeros and self._trimmed() == other._trimmed()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"LatencySketch(count={self.count}, buckets={len(self.counts)})"

    def _trimmed(self) -> tuple[int, list[int]]:
        counts = list(self.counts)
        start = 0
        while start < len(counts) and counts[start] == 0:
            start += 1
        end = len(counts)
        while end > start and counts[end - 1] == 0:
            end -= 1
        return (self.offset + start if end > start else 0), counts[start:end]

    # ------------------------------------------------------------------ adding

    def add(self, value: float) -> None:
        """Add one duration (ms)."""
        self.add_many((value,))

    def add_many(self, values: Sequence[float]) -> int:
        """Add a batch of durations (ms); returns how many were invalid and skipped.

        Non-numbers, NaN and infinities are skipped; negative values count as zero.
        """
        if not values:
            return 0
        try:
            indexes = Counter(map(math.ceil, map(math.log, values, repeat(_GAMMA))))
        except (ValueError, TypeError, OverflowError):
            return self._add_slow(values)
        if min(indexes) < _MIN_INDEX or max(indexes) > _MAX_INDEX:
            return self._add_slow(values)
        self._add_indexes(indexes)
        return 0

    def _add_slow(self, values: Iterable[object]) -> int:
        indexes: Counter[int] = Counter()
        invalid = 0
        for value in values:
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not math.isfinite(value)
            ):
                invalid += 1
            elif value <= ZERO_THRESHOLD_MS:
                self.zeros += 1
            else:
                indexes[_index(value)] += 1
        if indexes:
            self._add_indexes(indexes)
        return invalid

    def _add_indexes(self, indexes: Counter[int]) -> None:
        lo = min(indexes)
        hi = max(indexes)
        self._extend(lo, hi)
        counts = self.counts
        offset = self.offset
        for index, n in indexes.items():
            counts[index - offset] += n

    def _extend(self, lo: int, hi: int) -> None:
        """Make room for buckets ``lo..hi``."""
        counts = self.counts
        if not counts:
            self.offset = lo
            self.counts = array("q", bytes(_ITEMSIZE * (hi - lo + 1)))
            return
        if counts.typecode != "q":
            self.counts = counts = _widened(counts)
        offset = self.offset
        if lo < offset:
            self.counts = counts = array("q", bytes(_ITEMSIZE * (offset - lo))) + counts
            self.offset = offset = lo
        top = offset + len(counts) - 1
        if hi > top:
            counts.extend(array("q", bytes(_ITEMSIZE * (hi - top))))

    # ------------------------------------------------------------------ merging

    def merge(self, other: LatencySketch) -> None:
        """Add every value of ``other`` to this sketch."""
        self.zeros += other.zeros
        theirs = other.counts
        if not theirs:
            return
        lo = other.offset
        self._extend(lo, lo + len(theirs) - 1)
        _add_at(self.counts, lo - self.offset, theirs)

    def subtract(self, other: LatencySketch) -> None:
        """Take away the values of ``other``, a sketch whose values were added to this one
        (the rolling windows drop the minute that leaves them).

        Raises:
            ValueError: ``other`` holds values this sketch does not.
        """
        theirs = other.counts
        start = other.offset - self.offset
        if other.zeros > self.zeros or (
            theirs and (start < 0 or start + len(theirs) > len(self.counts))
        ):
            msg = f"cannot subtract {other!r} from {self!r}: it holds values this one does not"
            raise ValueError(msg)
        self.zeros -= other.zeros
        if not theirs:
            return
        if self.counts.typecode != "q":
            self.counts = _widened(self.counts)
        counts = self.counts
        end = start + len(theirs)
        left = array("q", map(sub, counts[start:end], theirs))
        if min(left) < 0:  # a bin it does not hold: none goes below zero (``_add_at``)
            left = array("q", [max(n, 0) for n in left])
        counts[start:end] = left

    @classmethod
    def merged(cls, sketches: Iterable[LatencySketch]) -> LatencySketch:
        """One sketch holding the values of all ``sketches`` (one allocation, C-level adds)."""
        result = cls()
        zeros = 0
        ranged = []
        for s in sketches:  # one pass: queries merge a few sketches per operation
            zeros += s.zeros
            if s.counts:
                ranged.append(s)
        result.zeros = zeros
        if not ranged:
            return result
        widest = ranged[0]
        lo = widest.offset
        hi = lo + len(widest.counts)
        for s in ranged:
            size = len(s.counts)
            if s.offset < lo:
                lo = s.offset
            if s.offset + size > hi:
                hi = s.offset + size
            if size > len(widest.counts):
                widest = s
        if len(ranged) <= 2 and widest.offset == lo and widest.offset + len(widest.counts) == hi:
            # one sketch spans the other (a rolling window beside the open minute), or is the
            # only one: copied at C speed, the other's range added (quicker than the sum
            # below for two; as quick for three)
            result.offset = lo
            result.counts = _widened(widest.counts)
            for s in ranged:
                if s is not widest:
                    _add_at(result.counts, s.offset - lo, s.counts)
            return result
        # the ranges' 8-byte lanes, each read as one integer, shifted to its place and added
        # into one sum that is written back once (no lane carries, as in ``_add_at``): for
        # the 100 operations' totals of a dashboard 2x the speed of summing them padded to
        # rows column by column (``zip``, ``sum``), 1.3x with half of them compacted; for
        # an hour's 3,600 second sketches 1.9x the speed of adding them one by one with
        # ``_add_at`` (``benchmarks/bench_metrics.py``)
        total = 0
        for s in ranged:
            theirs = s.counts if s.counts.typecode == "q" else _widened(s.counts)
            # lanes below the range: its offset's on a little-endian host, else its end's
            below = s.offset - lo if _LITTLE else hi - s.offset - len(theirs)
            total += int.from_bytes(theirs, sys.byteorder) << (_LANE_BITS * below)
        result.offset = lo
        result.counts = array("q", total.to_bytes(_ITEMSIZE * (hi - lo), sys.byteorder))
        return result

    def compact(self) -> None:
        """Hold the counts in 4 bytes each when they fit (for buckets that are closed)."""
        counts = self.counts
        if counts.typecode == "q" and (not counts or max(counts) < 2**32):
            self.counts = array("I", counts)

    def copy(self) -> LatencySketch:
        """An independent copy."""
        twin = LatencySketch()
        twin.offset = self.offset
        twin.counts = array(self.counts.typecode, self.counts)
        twin.zeros = self.zeros
        return twin

    # ------------------------------------------------------------------ reading

    def quantiles(self, qs: Sequence[float]) -> list[float]:
        """The values at quantiles ``qs`` (each in [0, 1]); 0.0 for an empty sketch.

        Raises:
            ValueError: a quantile outside [0, 1].
        """
        for q in qs:
            if not 0.0 <= q <= 1.0:
                msg = f"quantile {q!r} is outside [0, 1]"
                raise ValueError(msg)
        cumulative = list(accumulate(self.counts, initial=self.zeros))
        total = cumulative[-1]
        if total == 0:
            return [0.0 for _ in qs]
        out = []
        for q in qs:
            rank = math.floor(q * (total - 1))
            position = bisect_right(cumulative, rank)
            out.append(0.0 if position == 0 else _value(self.offset + position - 1))
        return out

    def quantile(self, q: float) -> float:
        """The value at quantile ``q`` in [0, 1]."""
        return self.quantiles((q,))[0]

    def count_at_or_below(self, bound_ms: float) -> int:
        """How many values are in buckets whose representative value is <= ``bound_ms``."""
        return self.counts_at_or_below((bound_ms,))[0]

    def counts_at_or_below(self, bounds_ms: Sequence[float]) -> list[int]:
        """``count_at_or_below`` of each bound, in one pass over the counts (histograms)."""
        counts = self.counts
        cumulative: list[int] | None = None
        out = []
        for bound_ms in bounds_ms:
            if bound_ms < 0:
                out.append(0)
                continue
            if bound_ms <= ZERO_THRESHOLD_MS or not counts:
                out.append(self.zeros)
                continue
            if cumulative is None:
                cumulative = list(accumulate(counts, initial=self.zeros))
            # representative of bucket i is <= bound  <=>  i <= log_gamma(bound / factor)
            last = math.floor(math.log(bound_ms / _VALUE_FACTOR, _GAMMA) + 1e-9)
            upto = min(last - self.offset + 1, len(counts))
            out.append(cumulative[max(upto, 0)])
        return out

    @property
    def nbytes(self) -> int:
        """Approximate memory held by the counts."""
        return len(self.counts) * self.counts.itemsize

    # ------------------------------------------------------------------ serialisation

    def to_bytes(self) -> bytes:
        """A compact portable encoding (little-endian), read back by ``from_bytes``."""
        counts = self.counts if self.counts.typecode == "q" else _widened(self.counts)
        if sys.byteorder != "little":  # pragma: no cover - big-endian hosts
            counts = array("q", counts)
            counts.byteswap()
        return _HEADER.pack(_FORMAT_VERSION, self.offset, self.zeros) + counts.tobytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> LatencySketch:
        """Decode what ``to_bytes`` produced.

        Raises:
            ValueError: ``data`` is not such an encoding.
        """
        if len(data) < _HEADER.size or (len(data) - _HEADER.size) % _ITEMSIZE:
            msg = f"not a LatencySketch encoding: {len(data)} bytes"
            raise ValueError(msg)
        version, offset, zeros = _HEADER.unpack_from(data)
        if version != _FORMAT_VERSION:
            msg = (
                f"LatencySketch encoding version {version} is not supported "
                f"(expected {_FORMAT_VERSION})"
            )
            raise ValueError(msg)
        sketch = cls()
        sketch.offset = offset
        sketch.zeros = zeros
        sketch.counts = array("q", data[_HEADER.size :])
        if sys.byteorder != "little":  # pragma: no cover - big-endian hosts
            sketch.counts.byteswap()
        if zeros < 0 or (sketch.counts and min(sketch.counts) < 0):
            msg = "not a LatencySketch encoding: a negative count"
            raise ValueError(msg)
        if zeros > MAX_COUNT or (sketch.counts and max(sketch.counts) > MAX_COUNT):
            msg = f"not a LatencySketch encoding: a count above {MAX_COUNT:,} (2**48)"
            raise ValueError(msg)
        return sketch
