"""The batch's own files done once the rows are done (`batch._Run.farm`) by the parent and all but
one of its workers: real forked worker processes, each task's answer in its number, and a task
that fails or whose worker dies answered None (the parent then does it again itself), the rest
going on."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from scheduler import batch


class Square:
    def __init__(self, n: int) -> None:
        self.n = n

    def run(self) -> tuple[int, int]:
        return self.n * self.n, os.getpid()


class Fails:
    def run(self) -> None:
        raise RuntimeError("a bug in the task")


class Dies:
    """Ends the worker process that runs it, mid-task (in the test's own process: a no-op)."""

    def __init__(self, parent: int) -> None:
        self.parent = parent

    def run(self) -> str:
        if os.getpid() != self.parent:
            os._exit(3)
        return "ran in the parent"


def _run(tmp_path: Path, jobs: int) -> batch._Run:
    job = batch.Job(tmp_path, None, ("json",), "staff", None, dt.datetime(2026, 11, 23, tzinfo=dt.UTC))
    rows = [batch.Row(i, f"line {i + 1}", {}, folder=f"p{i}", problem="refused at once") for i in range(1, 5)]
    return batch._Run(rows, job, jobs)


def test_tasks_are_done_by_this_process_and_all_but_one_worker(tmp_path: Path) -> None:
    with _run(tmp_path, 3) as run:
        results = list(run.results())
        assert [r.outcome for r in results] == ["invalid"] * 4
        assert len(run.workers) == 2  # the rows done, one worker left: this process takes its place
        answers = dict(run.farm(Square(n) for n in range(12)))
        assert sorted(answers) == list(range(12))
        assert {n: a[0] for n, a in answers.items()} == {n: n * n for n in range(12)}
        pids = {a[1] for a in answers.values()}
        assert os.getpid() in pids  # this process took the retired worker's place
        assert len(run.workers) == 2 and {w.process.pid for w in run.workers} == pids - {os.getpid()}


def test_a_failing_task_or_a_dead_worker_is_answered_none_and_the_rest_go_on(tmp_path: Path) -> None:
    with _run(tmp_path, 2) as run:
        list(run.results())
        # the worker takes task 0 (and dies); this process goes on with the rest alone
        tasks = [Dies(os.getpid()), Square(2), Fails(), Square(3), Square(4)]
        answers = dict(run.farm(iter(tasks)))
        assert sorted(answers) == list(range(5))
        assert answers[0] is None and answers[2] is None
        assert [answers[i][0] for i in (1, 3, 4)] == [4, 9, 16]
        assert run.workers == []


def test_without_workers_this_process_does_every_task(tmp_path: Path) -> None:
    with _run(tmp_path, 1) as run:
        list(run.results())
        assert [(n, a[0]) for n, a in run.farm(Square(n) for n in range(3))] == [(0, 0), (1, 1), (2, 4)]
        assert list(run.farm(iter([Fails()]))) == [(0, None)]


class Sleeps:
    def run(self) -> str:
        import time

        time.sleep(60)
        return "slept"


class Stops:
    """Run by this process while the worker sleeps: stops the worker as `_Run._stop` does."""

    def __init__(self, run: batch._Run) -> None:
        self.batch = run

    def run(self) -> str:
        import signal

        for worker in self.batch.workers:
            os.kill(worker.process.pid, signal.SIGTERM)
        return "stopped"


def test_sigterm_ends_a_worker_in_a_task_at_once(tmp_path: Path) -> None:
    import time

    with _run(tmp_path, 2) as run:
        list(run.results())
        began = time.monotonic()
        answers = dict(run.farm(iter([Sleeps(), Stops(run)])))
        assert answers == {0: None, 1: "stopped"}
        assert time.monotonic() - began < 10  # not the task's 60 s, nor the 5 s grace
        assert run.workers == []
