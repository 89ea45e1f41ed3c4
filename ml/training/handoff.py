"""Handing jobs to the training worker without pushing the model and data through its pipe.

A job's ``weights`` go into a file the worker maps (under ``/dev/shm`` where it exists, so the
pages are shared memory): one copy in, none out, instead of pickling the array into the pipe
and out of it again. A job's dataset (the node's shard, the test split) goes through the pipe
once per worker; later jobs name it by a key and the worker uses the copy it kept. The jobs
themselves are unchanged: ``HandoffSender.pack`` swaps the fields for references just before
sending, ``HandoffReceiver.unpack`` swaps them back in the worker.

One job at a time (the worker's rule) is what makes one weights file safe: the node writes the
next job's weights only after the previous job's outcome came back, into a new file renamed over
the old one, so a mapping the worker still holds never sees its file truncated.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import tempfile
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np

from ml.data.datasets import Dataset
from ml.training.jobs import EvaluationJob, TrainingJob, WorkerJob
from ml.types import Float32Array

SHARED_MEMORY_DIR = Path("/dev/shm")
KEPT_DATASETS = 4
"""Datasets each side remembers (a node's shard, its test split, with room to spare)."""
_file_numbers = itertools.count()


@dataclass(frozen=True)
class MappedWeights:
    """The job's weights: ``count`` float32 values at the start of the file at ``path``."""

    path: str
    count: int


@dataclass(frozen=True)
class KnownDataset:
    """A dataset the worker received with an earlier job, under ``key``."""

    key: int


@dataclass(frozen=True)
class NewDataset:
    """A dataset the worker has not seen: keep it under ``key``."""

    key: int
    dataset: Dataset


def get_handoff_dir() -> Path:
    return SHARED_MEMORY_DIR if SHARED_MEMORY_DIR.is_dir() else Path(tempfile.gettempdir())


class HandoffSender:
    """The node's side: one weights file and the datasets this worker already has."""

    def __init__(self, directory: Path | None = None) -> None:
        name = f"deltachain-weights-{os.getpid()}-{next(_file_numbers)}.f32"
        self.path = (directory or get_handoff_dir()) / name
        self._datasets: OrderedDict[int, Dataset] = OrderedDict()
        """Datasets the worker holds, by ``id``; held here too, so that no id is reused."""

    def pack(self, job: WorkerJob) -> WorkerJob:
        """``job`` with its weights in the mapped file (inline if the file cannot be written,
        e.g. a full ``/dev/shm``) and its dataset by key when the worker has it."""
        mapped = self._write(job.weights)
        packed = job if mapped is None else dataclasses.replace(job, weights=cast(Any, mapped))
        if isinstance(packed, TrainingJob):
            return dataclasses.replace(packed, shard=cast(Any, self._refer(packed.shard)))
        if isinstance(packed, EvaluationJob):
            return dataclasses.replace(packed, dataset=cast(Any, self._refer(packed.dataset)))
        return packed

    def forget(self) -> None:
        """The worker was replaced: it holds no dataset any more."""
        self._datasets.clear()

    def close(self) -> None:
        self.forget()
        self.path.unlink(missing_ok=True)

    def _write(self, weights: Float32Array) -> MappedWeights | None:
        flat = np.ascontiguousarray(weights, dtype=np.float32).reshape(-1)
        if not flat.size:
            return None
        staging = self.path.with_suffix(".next")
        try:
            with staging.open("wb") as handle:  # the page cache; tmpfs: memory, no disk
                flat.tofile(handle)
            os.replace(staging, self.path)  # a mapping of the last job keeps its own pages
        except OSError:
            staging.unlink(missing_ok=True)
            return None
        return MappedWeights(str(self.path), int(flat.size))

    def _refer(self, dataset: Dataset) -> KnownDataset | NewDataset:
        key = id(dataset)
        if key in self._datasets:
            self._datasets.move_to_end(key)
            return KnownDataset(key)
        self._datasets[key] = dataset
        while len(self._datasets) > KEPT_DATASETS:
            self._datasets.popitem(last=False)
        return NewDataset(key, dataset)


class HandoffReceiver:
    """The worker's side: resolves references back into arrays and datasets."""

    def __init__(self) -> None:
        self._datasets: OrderedDict[int, Dataset] = OrderedDict()

    def unpack(self, job: WorkerJob) -> WorkerJob:
        weights = cast(object, job.weights)
        if isinstance(weights, MappedWeights):
            job = dataclasses.replace(job, weights=_map(weights))
        if isinstance(job, TrainingJob):
            return dataclasses.replace(job, shard=self._resolve(cast(object, job.shard)))
        if isinstance(job, EvaluationJob):
            return dataclasses.replace(job, dataset=self._resolve(cast(object, job.dataset)))
        return job

    def _resolve(self, ref: object) -> Dataset:
        if isinstance(ref, NewDataset):
            self._datasets[ref.key] = ref.dataset
            while len(self._datasets) > KEPT_DATASETS:
                self._datasets.popitem(last=False)
            return ref.dataset
        if isinstance(ref, KnownDataset):
            self._datasets.move_to_end(ref.key)
            return self._datasets[ref.key]
        return cast(Dataset, ref)


def _map(ref: MappedWeights) -> Float32Array:
    """A copy-on-write view of the mapped weights: no copy unless written to, and a write
    stays in this process (torch warns about read-only arrays, so not mode "r")."""
    return cast(Float32Array, np.memmap(ref.path, dtype=np.float32, mode="c", shape=(ref.count,)))
