#!/usr/bin/env python3
"""Kill soak: nothing lost, nothing left running, nothing crashes.

Over many cycles it starts a labeling session (`run CONFIG --label-stdin`, a scripted person who
answers the queries) or a short training run (fine-tuning or from scratch), SIGKILLs it at a random
moment, and checks after each kill:

  * every label the program acknowledged ("ack label SAMPLE LABEL") is in the store's `labels`
    table of that run, not undone (and an acknowledged undo is undone);
  * after `green-workbench runs --db STORE` (which marks a run whose process is gone as
    `interrupted`) no run is left `running`;
  * the store passes `PRAGMA integrity_check`;
  * `run --resume ID` continues the killed run: a labeling session asks only for samples not yet
    labelled and reaches its label budget with every acknowledged label in the final run; a
    fine-tuning run goes on from the epoch after its checkpoint (a run killed before its first
    checkpoint is counted apart, as resume_failures_no_checkpoint); a scratch run, which keeps no
    checkpoint, trains all its epochs again; every resumed run ends completed and records
    resumed_from_run, and the killed run is `interrupted`. The resumed run itself is killed again
    now and then (a resume of a resume), and some kills land in the start-up, before the run exists.

It prints a line per cycle, every failed check as "PROBLEM [category] ...", and a summary line
(cycles, kills, labels acknowledged, labels lost, runs left running, integrity failures, resumes
ok / failed); --json writes the counts, the problems and every process of every cycle. The store,
configs and each process's stderr are kept when a check failed. The binary may be a sanitizer
build (build-asan/app/green-workbench) with ASAN_OPTIONS=log_path=... set: the soak passes its
environment on.

The data are small synthetic IDX files (ten bright bands, like tests/fixtures/TestData.cpp) and
tiny configs, so a cycle takes a few seconds. Standard library only. The seed fixes every choice
of the soak (kinds, kill delays, answers, slips); where a kill lands also depends on the machine's
speed, so two runs with one seed are alike, not identical.

  tests/soak/soak.py [BINARY] [--cycles 100] [--seed 1] [--json out.json] [--kinds label,finetune,scratch]

Exit code: 0 when every check held, 1 when any failed, 2 when the soak could not be set up.
"""

import argparse
import gzip
import json
import os
import random
import re
import select
import shutil
import signal
import sqlite3
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from collections import Counter

TERMINAL_OK = {"completed", "budget_reached", "converged_green"}

# Sizes of the synthetic data and of the runs: small enough for a cycle of a few seconds.
TRAIN_COUNT, TEST_COUNT, SIDE = 200, 50, 28
LABEL_INITIAL, LABEL_BATCH, LABEL_BUDGET = 6, 4, 18
FINETUNE_EPOCHS, SCRATCH_EPOCHS = 6, 3


# ----------------------------------------------------------------------------------------------
# Data and configs


def write_idx(path, dims, values):
    header = struct.pack(">BBBB", 0, 0, 0x08, len(dims)) + b"".join(struct.pack(">I", d) for d in dims)
    with gzip.open(path, "wb") as f:
        f.write(header + bytes(values))


def write_band_dataset(directory, train_count, test_count, seed):
    """Fashion-MNIST-shaped IDX files whose label says which of ten horizontal bands is bright.
    Returns the true labels of the training samples (what the scripted person answers)."""
    os.makedirs(directory, exist_ok=True)
    rng = random.Random(seed)
    truth = {}
    for prefix, count in (("train", train_count), ("t10k", test_count)):
        pixels, labels = bytearray(), bytearray()
        for _ in range(count):
            y = rng.randrange(10)
            labels.append(y)
            for r in range(SIDE):
                band = r * 10 // SIDE == y
                for _c in range(SIDE):
                    pixels.append(200 + rng.randrange(31) if band else rng.randrange(61))
        write_idx(os.path.join(directory, prefix + "-images-idx3-ubyte.gz"), [count, SIDE, SIDE], pixels)
        write_idx(os.path.join(directory, prefix + "-labels-idx1-ubyte.gz"), [count], labels)
        if prefix == "train":
            truth = {i: labels[i] for i in range(count)}
    return truth


def write_configs(workdir, data):
    common = {"dataset": {"kind": "fashion-mnist", "path": data}, "energy": {"sample_hz": 5}}
    configs = {
        "label": dict(common, name="soak-label", seed=1, model={"source": "scratch"},
                      training={"mode": "linear-probe", "threads": 1},
                      active_learning={"strategy": "margin", "initial": LABEL_INITIAL, "batch": LABEL_BATCH,
                                       "budget": LABEL_BUDGET, "oracle": "human", "stop": {"kappa": None}}),
        "finetune": dict(common, name="soak-finetune", seed=1, model={"source": "scratch"},
                         training={"mode": "finetune-last", "epochs": FINETUNE_EPOCHS, "batch_size": 32,
                                   "threads": 1}),
        "scratch": dict(common, name="soak-scratch", seed=1, model={"source": "scratch"},
                        training={"mode": "scratch", "epochs": SCRATCH_EPOCHS, "batch_size": 32, "threads": 1}),
    }
    paths = {}
    for kind, config in configs.items():
        paths[kind] = os.path.join(workdir, kind + ".json")
        with open(paths[kind], "w") as f:
            json.dump(config, f, indent=1)
    return paths


# ----------------------------------------------------------------------------------------------
# The store


def connect(store):
    return sqlite3.connect(store, timeout=30)


def run_ids(store):
    if not os.path.exists(store):
        return []
    with connect(store) as db:
        return [r[0] for r in db.execute("SELECT id FROM runs ORDER BY id")]


def run_status(store, run_id):
    with connect(store) as db:
        row = db.execute("SELECT status, error FROM runs WHERE id = ?", (run_id,)).fetchone()
    return (row[0], row[1]) if row else (None, None)


def running_runs(store):
    with connect(store) as db:
        return [r[0] for r in db.execute("SELECT id FROM runs WHERE status = 'running' ORDER BY id")]


def integrity(store):
    db = connect(store)
    try:
        rows = [r[0] for r in db.execute("PRAGMA integrity_check")]
    finally:
        db.close()
    return rows


def current_labels(store, run_id):
    """Sample -> label in force (the latest row not undone), as LabelRepository::current reads it."""
    out = {}
    with connect(store) as db:
        for sample, label in db.execute(
                "SELECT sample_index, label FROM labels WHERE run_id = ? AND undone = 0 ORDER BY id", (run_id,)):
            out[sample] = label
    return out


def epochs_recorded(store, run_id):
    with connect(store) as db:
        return [r[0] for r in db.execute(
            "SELECT step FROM metrics WHERE run_id = ? AND name = 'test_accuracy' ORDER BY step", (run_id,))]


# ----------------------------------------------------------------------------------------------
# A process with line-wise stdout


class Proc:
    def __init__(self, argv, stderr_path, env, stdin=True):
        self.stderr_path = stderr_path
        self.stderr_file = open(stderr_path, "wb")
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=self.stderr_file, env=env)
        self.started = time.monotonic()
        self.buffer = b""
        self.eof = False
        self.killed = False
        self.created_at = None  # seconds after the start when stderr said "run N started"

    def poll_started(self):
        if self.created_at is None:
            try:
                with open(self.stderr_path, "rb") as f:
                    text = f.read()
            except OSError:
                return
            if re.search(rb"^run \d+ started", text, re.M):
                self.created_at = self.elapsed()

    def kill_in(self, spec):
        """Seconds until the kill that @p spec asks for (<= 0: now), or None: no kill (yet)."""
        self.poll_started()
        if spec is None:
            return None
        if spec["after"] == "start":
            return spec["t"] - self.elapsed()
        if self.created_at is None:
            return None
        return self.created_at + spec["t"] - self.elapsed()

    def elapsed(self):
        return time.monotonic() - self.started

    def read_lines(self, timeout):
        """Lines that arrived within @p timeout seconds (possibly none)."""
        if self.eof:
            return []
        ready, _, _ = select.select([self.p.stdout], [], [], max(0.0, timeout))
        if not ready:
            return []
        chunk = os.read(self.p.stdout.fileno(), 65536)
        if not chunk:
            self.eof = True
            rest, self.buffer = self.buffer, b""
            return [rest.decode(errors="replace")] if rest else []
        self.buffer += chunk
        *lines, self.buffer = self.buffer.split(b"\n")
        return [l.decode(errors="replace").rstrip("\r") for l in lines]

    def drain(self):
        """Everything left on stdout once the process has ended (acks printed just before a kill)."""
        lines = []
        while not self.eof:
            lines += self.read_lines(5.0)
        return lines

    def send(self, text):
        try:
            self.p.stdin.write((text + "\n").encode())
            self.p.stdin.flush()
            return True
        except (BrokenPipeError, OSError, ValueError):
            return False

    def kill(self):
        if self.p.poll() is None:
            os.kill(self.p.pid, signal.SIGKILL)
            self.killed = True
        self.p.wait()

    def finish(self):
        self.p.wait()
        for stream in (self.p.stdin, self.p.stdout):
            try:
                if stream:
                    stream.close()
            except OSError:
                pass
        self.stderr_file.close()

    def stderr_text(self):
        try:
            with open(self.stderr_path, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""


# ----------------------------------------------------------------------------------------------
# The soak


class Soak:
    def __init__(self, args):
        self.args = args
        self.binary = os.path.abspath(args.binary)
        self.rng = random.Random(args.seed)
        self.workdir = args.workdir or tempfile.mkdtemp(prefix="gw-soak-")
        os.makedirs(self.workdir, exist_ok=True)
        self.store = os.path.join(self.workdir, "store.sqlite")
        self.logs = os.path.join(self.workdir, "logs")
        os.makedirs(self.logs, exist_ok=True)
        self.env = dict(os.environ)
        # Settings and default store of the program under test stay inside the soak's folder.
        self.env.update({"QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": os.path.join(self.workdir, "config"),
                         "XDG_DATA_HOME": os.path.join(self.workdir, "data"), "OMP_NUM_THREADS": "1"})
        self.counts = Counter()
        self.problems = []          # (cycle, kind, what) for every failed check
        self.cycles = []            # one record per cycle, for --json
        self.durations = {}         # kind -> [(start-up s, life after creation s)] of uninterrupted runs
        self.process_count = 0
        self.cycle = 0
        self.kind = ""

    # -- helpers ---------------------------------------------------------------------------

    def log(self, text):
        print(text, flush=True)

    def problem(self, category, text):
        """Records a failed check; the counters of the summary are kept by the callers."""
        self.problems.append({"cycle": self.cycle, "kind": self.kind, "category": category, "what": text})
        self.log(f"  PROBLEM [{category}] {text}")

    def start(self, argv, stdin=True):
        self.process_count += 1
        stderr_path = os.path.join(self.logs, f"c{self.cycle:04d}-p{self.process_count:05d}.stderr")
        return Proc([self.binary] + argv, stderr_path, self.env, stdin=stdin)

    def new_run_id(self, before, proc):
        """The run a process created: from its stderr ("run N started"), else the store."""
        m = re.search(r"^run (\d+) started", proc.stderr_text(), re.M)
        if m:
            return int(m.group(1))
        fresh = [i for i in run_ids(self.store) if i not in before]
        return fresh[-1] if fresh else None

    def note_running(self, run_id):
        if run_id not in self.left_running_ids:
            self.left_running_ids.add(run_id)
            self.counts["runs_left_running"] += 1

    def check_store(self, what):
        """`runs` marks runs whose process is gone; then nothing may be running and the store is whole."""
        self.counts["store_checks"] += 1
        try:
            res = subprocess.run([self.binary, "runs", "--db", self.store], env=self.env, capture_output=True,
                                 timeout=self.args.timeout)
        except subprocess.TimeoutExpired:
            self.problem("runs_command_failures", f"after {what}: `runs --db` still going after {self.args.timeout} s")
            res = None
        if res is not None and res.returncode != 0:
            self.problem("runs_command_failures",
                         f"after {what}: `runs --db` exited {res.returncode}: {res.stderr.decode(errors='replace').strip()[-300:]}")
        left = running_runs(self.store)
        for run_id in left:
            self.note_running(run_id)
        if left:
            self.problem("running_after_check", f"after {what}: run(s) {left} still 'running' after `runs --db`")
        rows = integrity(self.store)
        if rows != ["ok"]:
            self.counts["integrity_failures"] += 1
            self.problem("integrity_checks_failed", f"after {what}: PRAGMA integrity_check: {rows[:5]}")
        return left

    # -- labeling --------------------------------------------------------------------------

    def drive_labeling(self, proc, kill, chain, session):
        """Answers batches as a person would (true labels, now and then a slip corrected by a
        relabel or an undo), pipelining a few decisions ahead of their acks. Returns "killed",
        "exited" or "hung"."""
        rng = self.rng
        batch = None            # {"round", "count", "samples"}
        plan = []               # lines still to send for the current batch
        in_flight = 0           # decisions sent, not yet acknowledged
        window = rng.choice([1, 1, 2, 4])
        next_send = 0.0
        outcome = None

        def handle(line):
            nonlocal batch, plan, in_flight
            session["stdout_tail"].append(line)
            del session["stdout_tail"][:-40]
            if line.startswith("batch "):
                parts = line.split()
                batch = {"round": int(parts[1]), "count": int(parts[2]), "samples": []}
                session["batches"].append((batch["round"], batch["count"]))
            elif line.startswith("query ") and batch is not None:
                sample = int(line.split()[2])
                batch["samples"].append(sample)
                session["asked"].append(sample)
                last = chain["state"].get(sample)
                if last is not None and last[0] == "label":
                    self.counts["asked_again"] += 1
                    self.problem("asked_again", f"run {session.get('run_id', '?')} asks for sample {sample} again, "
                                 f"acknowledged as {last[1]} in run {last[2]}")
                if len(batch["samples"]) == batch["count"]:
                    plan = []
                    for s in batch["samples"]:
                        right = self.truth[s]
                        slip = rng.random()
                        if slip < 0.08:      # a wrong class, corrected
                            plan += [f"{s} {(right + 1) % 10}", f"{s} {right}"]
                        elif slip < 0.14:    # a wrong class, undone, then the right one
                            plan += [f"{s} {(right + 3) % 10}", f"undo {s}", f"{s} {right}"]
                        else:
                            plan.append(f"{s} {right}")
                    plan.append("submit")
            elif line.startswith("ack label "):
                _, _, s, label = line.split()
                in_flight = max(0, in_flight - 1)
                self.counts["labels_acknowledged"] += 1
                session["acks"] += 1
                chain["state"][int(s)] = ("label", int(label), session["index"])
            elif line.startswith("ack undo "):
                in_flight = max(0, in_flight - 1)
                self.counts["undos_acknowledged"] += 1
                chain["state"][int(line.split()[2])] = ("undo", None, session["index"])
            elif line.startswith("done "):
                in_flight = 0
                batch = None
            elif line.startswith("refused "):
                in_flight = max(0, in_flight - 1)
                self.counts["refused"] += 1
                self.problem("refused", f"the program refused a decision: {line}")
            elif line.startswith("{"):
                self.take_summary(session, line, proc)

        while True:
            outcome, wait = self.stop_or_wait(proc, kill, fast=bool(plan))
            if outcome:
                break
            for line in proc.read_lines(wait):
                handle(line)
            if proc.eof:
                proc.p.wait()
                outcome = "exited"
                break
            if plan and in_flight < window and proc.elapsed() >= next_send:
                line = plan.pop(0)
                if proc.send(line):
                    session["sent"].append(line)
                    if line != "submit":
                        in_flight += 1
                next_send = proc.elapsed() + rng.choice([0.0, 0.0, 0.005, 0.02])
        # Acks printed just before the kill are acks too: the label was committed before the line.
        for line in proc.drain():
            handle(line)
        proc.finish()
        return outcome

    def check_session_labels(self, chain, session):
        """Every decision acknowledged in this session is what the session's run holds."""
        run_id = session.get("run_id")
        if run_id is None:
            if session["acks"]:
                self.problem("labels_lost", f"{session['acks']} labels acknowledged but no run in the store")
                self.counts["labels_lost"] += session["acks"]
            return
        held = current_labels(self.store, run_id)
        for sample, (action, label, index) in sorted(chain["state"].items()):
            if index != session["index"]:
                continue
            if action == "label" and held.get(sample) != label:
                self.counts["labels_lost"] += 1
                self.problem("labels_lost", f"run {run_id}: sample {sample} acknowledged as {label}, "
                             f"the store has {held.get(sample, 'nothing')}")
            if action == "undo" and sample in held:
                self.counts["undos_lost"] += 1
                self.problem("undos_lost", f"run {run_id}: undo of sample {sample} acknowledged, "
                             f"the store still has label {held[sample]}")

    def check_final_labels(self, chain, run_id, summary):
        held = current_labels(self.store, run_id)
        dropped = []
        for sample, (action, label, index) in sorted(chain["state"].items()):
            if action == "label" and held.get(sample) != label:
                dropped.append((sample, label, held.get(sample)))
        if dropped:
            self.counts["labels_lost"] += len(dropped)
            self.counts["labels_dropped_by_resume"] += len(dropped)
            self.problem("labels_lost", f"final run {run_id} lacks {len(dropped)} acknowledged label(s) of earlier "
                         f"runs of the chain (sample, acknowledged, held): {dropped[:8]}")
        ok = True
        if len(held) != LABEL_BUDGET:
            ok = False
            self.problem("resume_failures", f"final run {run_id} holds {len(held)} labels, budget {LABEL_BUDGET}")
        if summary is not None and summary.get("stop_reason") not in (None, "label_budget"):
            ok = False
            self.problem("resume_failures", f"final run {run_id} stopped for {summary.get('stop_reason')}, "
                         "not its label budget")
        return ok and not dropped

    # -- one cycle -------------------------------------------------------------------------

    def session(self, argv, kill, chain, stdin):
        before = set(run_ids(self.store))
        proc = self.start(argv, stdin=stdin)
        session = {"index": len(chain["sessions"]), "argv": argv, "kill": kill, "acks": 0, "asked": [],
                   "sent": [], "batches": [], "summary": None, "stdout_tail": []}
        chain["sessions"].append(session)
        if chain["kind"] == "label":
            outcome = self.drive_labeling(proc, kill, chain, session)
        else:
            outcome = self.drive_training(proc, kill, session)
        session["outcome"] = outcome
        session["seconds"] = round(proc.elapsed(), 3)
        session["created_s"] = None if proc.created_at is None else round(proc.created_at, 3)
        session["exit_code"] = proc.p.returncode
        session["run_id"] = self.new_run_id(before, proc)
        session["stderr"] = proc.stderr_path
        if outcome == "killed":
            self.counts["kills"] += 1
        if outcome == "hung":
            self.problem("hangs", f"process {argv} still going after {self.args.timeout} s; killed")
        return session, proc

    def drive_training(self, proc, kill, session):
        while True:
            outcome, wait = self.stop_or_wait(proc, kill, fast=False)
            if outcome:
                break
            for line in proc.read_lines(wait):
                self.take_summary(session, line, proc)
            if proc.eof:
                proc.p.wait()
                outcome = "exited"
                break
        for line in proc.drain():
            self.take_summary(session, line)
        proc.finish()
        return outcome

    def stop_or_wait(self, proc, kill, fast):
        """Kills the process when its kill time has come ("killed") or it ran past the timeout
        ("hung") and says so; otherwise how long to read its output before looking again (briefly
        while there is input to send or the run is not created yet, never past the kill time)."""
        due = proc.kill_in(kill)
        if due is not None and due <= 0:
            proc.kill()
            return "killed", 0
        if proc.elapsed() > self.args.timeout:
            proc.kill()
            return "hung", 0
        wait = 0.02 if fast or proc.created_at is None else 0.2
        return None, wait if due is None else min(wait, max(0.0, due))

    @staticmethod
    def take_summary(session, line, proc=None):
        """Keeps a JSON summary line (and, while the process runs, when it came)."""
        if not line.startswith("{"):
            return
        try:
            session["summary"] = json.loads(line)
        except ValueError:
            return
        if proc is not None:
            session.setdefault("summary_s", round(proc.elapsed(), 3))

    def kill_time(self, kind):
        """When to kill: mostly anywhere in the life of the run (from its creation to a little past
        an uninterrupted run's end, so that some finish first), now and then during the start-up,
        before the run exists (program start, LibTorch, the store, the hardware probe)."""
        # The median of the uninterrupted runs seen so far: one slow run on a busy machine does not
        # push every later kill past the end.
        startup = statistics.median(d[0] for d in self.durations[kind][-7:])
        life = statistics.median(d[1] for d in self.durations[kind][-7:])
        if self.rng.random() < self.args.startup_kills:
            return {"after": "start", "t": round(self.rng.uniform(0.0, startup), 3)}
        return {"after": "run", "t": round(self.rng.uniform(0.0, 1.1 * max(0.1, life)), 3)}

    def learn_duration(self, kind, session):
        """Remembers how long an uninterrupted run of @p kind took: its start-up, and its life from its
        creation to its summary (the run's end in the store; the process takes a moment more to exit)."""
        if session["outcome"] == "exited" and session["exit_code"] == 0 and session["created_s"] is not None:
            end = session.get("summary_s") or session["seconds"]
            self.durations.setdefault(kind, []).append((session["created_s"], end - session["created_s"]))

    @staticmethod
    def after_creation(session):
        if session.get("created_s") is None:
            return ""
        return f" ({session['seconds'] - session['created_s']:.2f} s after the run was created)"

    def run_cycle(self, kind):
        chain = {"kind": kind, "sessions": [], "state": {}}
        record = {"cycle": self.cycle, "kind": kind}
        problems_before = len(self.problems)
        labeling = kind == "label"

        def argv_for(resume):
            argv = ["run", "--resume", str(resume)] if resume else ["run", self.configs[kind]]
            return argv + ["--db", self.store] + (["--label-stdin"] if labeling else []) + ["--json"]

        kills = resumes = 0
        session, proc = self.session(argv_for(None), self.kill_time(kind), chain, stdin=labeling)
        target = session["run_id"]  # the run to resume next
        if session["outcome"] == "exited":
            # The run ended by itself before the kill came: nothing to resume.
            self.counts["finished_before_kill"] += 1
            self.learn_duration(kind, session)
            self.log(f"  run {target} ended by itself before the kill (exit {session['exit_code']}, "
                     f"{session['seconds']:.2f} s)")
            if labeling and target:
                self.check_session_labels(chain, session)
            if session["exit_code"] != 0:
                self.problem("unexpected_exits", f"run {target} exited {session['exit_code']} without a kill: "
                             f"{proc.stderr_text().strip()[-400:]}")
            self.check_store(f"run {target} ended")
        elif session["outcome"] == "killed":
            kills += 1
            self.log(f"  run {target} killed at {session['seconds']:.2f} s{self.after_creation(session)}"
                     + (f", after {session['acks']} acks" if labeling else ""))
            if labeling:
                self.check_session_labels(chain, session)
            if target is None:
                self.counts["kills_before_run_created"] += 1
                self.check_store("a kill before the run was created")
        else:
            self.check_store("a hung run")
        while session["outcome"] == "killed" and target is not None:
            # The newest checkpoint along the chain (the killed run's own, else that of the run it
            # continued, ...) and the epochs its run had recorded, before anything else touches them.
            # RunJob::checkpointPath: <store folder>/<store name less its last suffix>.cache/checkpoints/
            cache = os.path.splitext(self.store)[0] + ".cache"
            runs = [s["run_id"] for s in chain["sessions"] if s["run_id"] is not None]
            owner = next((r for r in reversed(runs[:runs.index(target) + 1])
                          if os.path.exists(os.path.join(cache, "checkpoints", f"run-{r}.pt"))), None)
            had_checkpoint = owner is not None
            epochs_before = epochs_recorded(self.store, owner) if owner is not None and not labeling else []
            self.check_store(f"killing run {target}")
            status_now, _ = run_status(self.store, target)
            if status_now not in ("running", "interrupted"):
                # Killed after the run had ended (its status committed, the process still exiting):
                # there is nothing to resume, and a completed labeling run holds every label.
                self.counts["killed_after_run_ended"] += 1
                self.log(f"  run {target} had already ended ({status_now}) when it was killed")
                if labeling and status_now in TERMINAL_OK:
                    self.check_final_labels(chain, target, session["summary"])
                break
            # Resume; now and then kill the resumed run too (a resume of a resume).
            again = kills <= 2 and self.rng.random() < self.args.rekill
            resumes += 1
            session, proc = self.session(argv_for(target), self.kill_time(kind) if again else None, chain,
                                         stdin=labeling)
            new_id = session["run_id"]
            if session["outcome"] == "killed":
                kills += 1
                if labeling:
                    self.check_session_labels(chain, session)
                if new_id is None:
                    # Killed before the resumed run was created: the same run is still to resume.
                    self.counts["kills_before_run_created"] += 1
                    self.log(f"  resuming run {target}: killed at {session['seconds']:.2f} s, before its run was created")
                    continue
                self.counts["resumes_killed_again"] += 1
                self.log(f"  resumed run {target} as run {new_id}, killed again at {session['seconds']:.2f} s"
                         f"{self.after_creation(session)}" + (f", after {session['acks']} acks" if labeling else ""))
                status_old, _ = run_status(self.store, target)
                if status_old == "running":
                    self.note_running(target)
                    self.problem("running_after_resume", f"run {target} still 'running' after its resume as {new_id}")
                target = new_id
                continue
            if session["outcome"] == "hung":
                self.counts["resumes_failed"] += 1
                self.check_store(f"a hung resume of run {target}")
                break
            # The resumed run ended by itself: it must have continued and finished well.
            status_old, _ = run_status(self.store, target)
            ok = self.check_resumed(kind, chain, session, target, new_id, had_checkpoint, epochs_before, proc)
            if new_id is not None and status_old != "interrupted":
                ok = False
                if status_old == "running":
                    self.note_running(target)
                self.problem("resume_failures", f"run {target} is '{status_old}' after its resume as {new_id}, "
                             "not 'interrupted'")
            self.counts["resumes_ok" if ok else "resumes_failed"] += 1
            self.log(f"  resumed run {target} as run {new_id}: {'continued' if ok else 'FAILED'} "
                     f"({(session['summary'] or {}).get('status', 'no summary')}, {session['seconds']:.1f} s)")
            self.check_store(f"resuming run {target}")
            break
        record.update({"kills": kills, "resumes": resumes,
                       "sessions": [{k: s.get(k) for k in ("run_id", "argv", "kill", "outcome", "seconds", "created_s", "summary_s",
                                                            "exit_code", "acks", "batches", "stderr")}
                                    for s in chain["sessions"]],
                       "problems": self.problems[problems_before:]})
        record["ok"] = len(self.problems) == problems_before
        return record

    def check_resumed(self, kind, chain, session, old_id, new_id, had_checkpoint, epochs_before, proc):
        summary = session["summary"] or {}
        status = summary.get("status")
        err = proc.stderr_text()
        if new_id is None:
            self.problem("resume_failures", f"resuming run {old_id} made no run (exit {session['exit_code']}): "
                         f"{err.strip()[-400:]}")
            return False
        if session["outcome"] != "exited" or session["exit_code"] != 0 or status not in TERMINAL_OK:
            reason = summary.get("error") or (err.strip().splitlines() or ["?"])[-1]
            # A fine-tuning run killed before its first checkpoint is its own kind of failure.
            no_checkpoint = kind == "finetune" and not had_checkpoint
            self.problem("resume_failures_no_checkpoint" if no_checkpoint else "resume_failures",
                         f"run {new_id} (resuming {old_id}) ended '{status}', exit {session['exit_code']}"
                         f"{' (the killed run had no checkpoint yet)' if no_checkpoint else ''}: {reason}")
            return False
        with connect(self.store) as db:
            row = db.execute("SELECT value FROM metrics WHERE run_id = ? AND name = 'resumed_from_run'",
                             (new_id,)).fetchone()
        if not row or int(row[0]) != old_id:
            self.problem("resume_failures", f"run {new_id} records resumed_from_run {row[0] if row else 'nothing'}, "
                         f"expected {old_id}")
            return False
        if kind == "label":
            return self.check_final_labels(chain, new_id, summary)
        if kind == "finetune":
            m = re.search(r"resumed after epoch (\d+)", err)
            after = int(m.group(1)) if m else 0
            epochs = epochs_recorded(self.store, new_id)
            done = max(epochs_before, default=0)
            ok = True
            if had_checkpoint and not m:
                ok = False
                self.problem("resume_failures", f"run {new_id} did not say it resumed from a checkpoint of run "
                             f"{old_id} or of a run it continued")
            # The checkpoint is written right after an epoch's figures: it is that epoch or the one before.
            if had_checkpoint and not (done - 1 <= after <= done):
                ok = False
                self.problem("resume_failures", f"run {new_id} resumed after epoch {after}, the run of the newest "
                             f"checkpoint along the chain of {old_id} had finished epoch {done}")
            if epochs != list(range(after + 1, FINETUNE_EPOCHS + 1)):
                ok = False
                self.problem("resume_failures", f"run {new_id} (resumed after epoch {after}) trained epochs "
                             f"{epochs}, expected {after + 1}..{FINETUNE_EPOCHS}")
            self.counts["finetune_epochs_saved"] += after
            return ok
        # scratch: there is no checkpoint, the resume reruns the config from the start.
        return epochs_recorded(self.store, new_id) == list(range(1, SCRATCH_EPOCHS + 1))

    # -- calibration and main loop -----------------------------------------------------------

    def calibrate(self, kinds):
        """One uninterrupted run of each kind: checks the setup, warms the caches, and times a run
        so the kills fall anywhere within one."""
        # Labeling twice: the first computes the embedding cache that every later session reads.
        for kind in (["label"] if "label" in kinds else []) + kinds:
            self.kind = kind
            chain = {"kind": kind, "sessions": [], "state": {}}
            argv = (["run", self.configs["label"], "--db", self.store, "--label-stdin", "--json"] if kind == "label"
                    else ["run", self.configs[kind], "--db", self.store, "--json"])
            session, proc = self.session(argv, None, chain, stdin=(kind == "label"))
            status = (session["summary"] or {}).get("status")
            if session["outcome"] != "exited" or session["exit_code"] != 0 or status not in TERMINAL_OK:
                sys.stderr.write(f"soak: the calibration run of '{kind}' did not complete (exit "
                                 f"{session['exit_code']}, status {status}):\n{proc.stderr_text()[-2000:]}\n"
                                 + "\n".join(session.get("stdout_tail", [])[-20:]) + "\n")
                return False
            created = session["created_s"] if session["created_s"] is not None else 0.0
            if kind == "label" and kind not in self.durations:
                self.durations[kind] = []  # the cold-cache run is no measure of the others
            else:
                self.learn_duration(kind, session)
                if not self.durations.get(kind):
                    self.durations[kind] = [(created, (session.get("summary_s") or session["seconds"]) - created)]
            self.log(f"calibration: {kind} run {session['run_id']} took {session['seconds']:.2f} s: created after "
                     f"{created:.2f} s, summary after {session.get('summary_s') or 0:.2f} s ({status})")
        self.counts.clear()
        return True

    def main(self):
        kinds = [k for k in self.args.kinds.split(",") if k]
        for k in kinds:
            if k not in ("label", "finetune", "scratch"):
                sys.stderr.write(f"soak: unknown kind '{k}' (label, finetune, scratch)\n")
                return 2
        if not os.access(self.binary, os.X_OK):
            sys.stderr.write(f"soak: {self.binary} is not an executable (build it, or give its path)\n")
            return 2
        self.log(f"soak: {self.binary}, seed {self.args.seed}, {self.args.cycles} cycles of {','.join(kinds)}; "
                 f"work in {self.workdir}")
        data = os.path.join(self.workdir, "bands")
        self.truth = write_band_dataset(data, TRAIN_COUNT, TEST_COUNT, seed=7)
        self.configs = write_configs(self.workdir, data)
        self.left_running_ids = set()
        started = time.monotonic()
        if not self.calibrate(kinds):
            return 2
        weights = {"label": 2, "finetune": 2, "scratch": 1}
        for self.cycle in range(1, self.args.cycles + 1):
            self.kind = self.rng.choices(kinds, weights=[weights[k] for k in kinds])[0]
            self.counts["cycles"] += 1
            self.counts[f"cycles_{self.kind}"] += 1
            t0 = time.monotonic()
            self.log(f"cycle {self.cycle}/{self.args.cycles}: {self.kind}")
            try:
                record = self.run_cycle(self.kind)
            except Exception as e:  # a soak that crashes tells nothing: record it and go on
                self.problem("soak_errors", f"{type(e).__name__}: {e}")
                record = {"cycle": self.cycle, "kind": self.kind, "ok": False, "error": repr(e)}
            record["seconds"] = round(time.monotonic() - t0, 2)
            self.cycles.append(record)
        return self.report(time.monotonic() - started)

    def report(self, seconds):
        c = self.counts
        # Every failed check is a problem (by category); a run seen 'running' after `runs` or after its
        # resume counts once in runs_left_running however often it is seen.
        failures = dict(sorted(Counter(p["category"] for p in self.problems).items()))
        ok = not self.problems
        summary = {
            "cycles": c["cycles"], "kills": c["kills"], "labels_acknowledged": c["labels_acknowledged"],
            "labels_lost": c["labels_lost"], "runs_left_running": c["runs_left_running"],
            "integrity_failures": c["integrity_failures"], "resumes_ok": c["resumes_ok"],
            "resumes_failed": c["resumes_failed"],
        }
        details = {k: c[k] for k in sorted(c) if k not in summary}
        self.log("")
        self.log("soak summary: " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in summary.items()))
        self.log("details: " + ", ".join(f"{k} {v}" for k, v in details.items()))
        if self.problems:
            self.log("problems by category: " + ", ".join(f"{k} {v}" for k, v in failures.items()))
            for p in self.problems[:10]:
                self.log(f"  cycle {p['cycle']} ({p['kind']}) [{p['category']}] {p['what']}")
            if len(self.problems) > 10:
                self.log(f"  ... {len(self.problems) - 10} more (see --json)")
        self.log(f"{'PASS' if ok else 'FAIL'}: {seconds:.0f} s, {seconds / max(1, c['cycles']):.1f} s per cycle; "
                 f"store {self.store}")
        if self.args.json:
            out = {"ok": ok, "seed": self.args.seed, "binary": self.binary, "seconds": round(seconds, 1),
                   "summary": summary, "details": details, "failures": failures,
                   "durations_s": self.durations, "problems": self.problems, "cycles": self.cycles,
                   "workdir": self.workdir}
            tmp = self.args.json + ".partial"
            with open(tmp, "w") as f:
                json.dump(out, f, indent=1)
            os.replace(tmp, self.args.json)
        if ok and not self.args.keep and not self.args.workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)
        else:
            self.log(f"kept {self.workdir} (store, configs, each process's stderr under logs/)")
        return 0 if ok else 1


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    default_binary = os.path.normpath(os.path.join(here, "..", "..", "build", "app", "green-workbench"))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("binary", nargs="?", default=default_binary, help="green-workbench (default: build/app/green-workbench)")
    parser.add_argument("--cycles", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1, help="seeds every random choice of the soak")
    parser.add_argument("--json", help="write the counts, the problems and every cycle to this file")
    parser.add_argument("--kinds", default="label,finetune,scratch", help="comma-separated: label, finetune, scratch")
    parser.add_argument("--rekill", type=float, default=0.3, help="chance that a resumed run is killed again")
    parser.add_argument("--startup-kills", type=float, default=0.15,
                        help="share of kills aimed at the start-up, before the run exists")
    parser.add_argument("--timeout", type=float, default=180, help="seconds before a process counts as hung")
    parser.add_argument("--workdir", help="folder for the store and logs (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder even when all checks hold")
    args = parser.parse_args()
    try:
        return Soak(args).main()
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
