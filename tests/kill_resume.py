#!/usr/bin/env python3
"""kill_resume.py — kills a resumable n2g command at random moments and checks that rerunning it
leaves the run directory byte-identical to an uninterrupted run's, with no temporary file left.

usage: kill_resume.py --name NAME --base DIR --work DIR --kills N --seed S [--events GLOB,...] -- CMD...

CMD is the n2g command line with {RUN} where the run directory goes. BASE is the directory the
run starts from (copied; "" = none: the command creates it). The driver
  1. copies BASE to WORK/ref and runs CMD there uninterrupted (its wall time T sets the scale of
     the random delays);
  2. copies BASE to WORK/run and, until N stops have landed mid-run (at most 3 N tries), starts
     CMD on it and stops it: SIGKILL to the process after a random delay in [0, 1.1 T], or
     SIGKILL as soon as a file matching one of the --events globs (a temporary of a checkpoint, a
     graph, the final write ...) appears in the run directory, and a few times SIGINT to the
     process group (Ctrl-C) at a random delay. Each stop is
     followed by a rerun of the same command (which the next stop may hit again), once every
     process the stopped one started (a Graphviz dot) has ended; when a run finishes on its own
     before its stop, the directory is checked (step 3) and the cycle starts again from a fresh
     copy of BASE;
  3. finally reruns CMD to completion and compares every file of WORK/run with WORK/ref byte for
     byte, and looks for temporaries (*.tmp, *.tmp.PID) anywhere in the run directory.
The delays come from random.Random(seed), printed with every stop, so a failure names the moments
that led to it (timing on a loaded machine is not reproducible, the sequence of moments is).
Exit status: 0 when every check passed, 1 otherwise (each failure printed as "FAIL: ...").
"""
import argparse
import fnmatch
import os
import random
import shutil
import signal
import subprocess
import sys
import time

TMP_PATTERNS = ("*.tmp", "*.tmp.*", "*.tmp-*", ".tmp.*")


def files_of(root):
    out = {}
    for d, dirs, names in os.walk(root):
        dirs.sort()
        for n in sorted(names):
            p = os.path.join(d, n)
            out[os.path.relpath(p, root)] = p
    return out


def temporaries(root):
    return sorted(rel for rel in files_of(root) if any(fnmatch.fnmatch(os.path.basename(rel), t) for t in TMP_PATTERNS))


def first_difference(a, b):
    with open(a, "rb") as fa, open(b, "rb") as fb:
        x, y = fa.read(), fb.read()
    if x == y:
        return None
    n = min(len(x), len(y))
    i = next((k for k in range(n) if x[k] != y[k]), n)
    line = x[:i].count(b"\n") + 1
    what = "sizes %d / %d, first difference at byte %d (line %d)" % (len(x), len(y), i, line)
    if b"\0" not in x[:4096] and b"\0" not in y[:4096]:  # text: show the bytes around it
        lo = max(0, i - 50)
        what += ": ref ...%r..., run ...%r..." % (x[lo:i + 30].decode("utf-8", "replace"),
                                                  y[lo:i + 30].decode("utf-8", "replace"))
    return what


def compare(ref, run, pids=None):
    """Failure lines: files missing, extra, or different, and temporaries left in run (pids: the
    stop number of each process id, to say which stopped process left a .tmp.PID file)."""
    problems = []
    a, b = files_of(ref), files_of(run)
    tmps = set(temporaries(run))
    for rel in sorted(set(a) - set(b)):
        problems.append("missing after the rerun: %s" % rel)
    for rel in sorted(set(b) - set(a) - tmps):
        problems.append("extra file after the rerun (not in the uninterrupted run): %s" % rel)
    for rel in sorted(tmps):
        owner = ""
        tail = rel.rsplit(".", 1)[-1]
        if pids and tail.isdigit():
            owner = " (left by the process of stop %d)" % pids[int(tail)] if int(tail) in pids else " (not this test's process)"
        problems.append("stray temporary file: %s%s" % (rel, owner))
    differ = []
    for rel in sorted(set(a) & set(b)):
        d = first_difference(a[rel], b[rel])
        if d:
            differ.append("differs from the uninterrupted run: %s (%s)" % (rel, d))
    if len(differ) > 8:
        differ[8:] = ["... and %d more files differ: %s" % (len(differ) - 8, " ".join(
            m.split(": ", 1)[1].split(" (")[0] for m in differ[8:]))]
    return problems + differ


def become_subreaper():
    """Processes the stopped n2g leaves behind (a Graphviz `dot` it had started) become this
    script's children, so wait_group can reap them."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        pass


def wait_group(pgid, limit=30.0):
    """Waits until no process of group pgid is left (the rerun starts after every process the
    stopped run started has ended, as when a user reruns a command); True when it had to kill."""
    t0, killed = time.monotonic(), False
    while True:
        try:
            while os.waitpid(-1, os.WNOHANG)[0] > 0:
                pass
        except ChildProcessError:
            pass
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return killed
        if not killed and time.monotonic() - t0 > limit:
            os.killpg(pgid, signal.SIGKILL)
            killed = True
        time.sleep(0.002)


def reset(base, dst):
    shutil.rmtree(dst, ignore_errors=True)
    if base:
        shutil.copytree(base, dst, symlinks=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--name", required=True)
    ap.add_argument("--base", default="")
    ap.add_argument("--work", required=True)
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--events", default="", help="comma-separated globs relative to the run dir")
    ap.add_argument("--sigint", type=int, default=3, help="how many of the stops are SIGINT to the group")
    ap.add_argument("--sigint-exit", type=int, default=None,
                    help="the exit status a SIGINT must give (also accepted: 0 when it came too late, death by "
                    "SIGINT when it came before the handler was installed)")
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.cmd[1:] if a.cmd and a.cmd[0] == "--" else a.cmd
    name = a.name
    fails = []
    become_subreaper()

    def fail(msg):
        print("FAIL: %s: %s" % (name, msg), flush=True)
        fails.append(msg)

    def argv(run):
        return [x.replace("{RUN}", run) for x in cmd]

    def start(run):
        return subprocess.Popen(argv(run), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)

    ref = os.path.join(a.work, name + "_ref")
    run = os.path.join(a.work, name + "_run")
    reset(a.base, ref)
    t0 = time.monotonic()
    p = subprocess.run(argv(ref), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    T = time.monotonic() - t0
    if p.returncode != 0:
        fail("uninterrupted run failed (%d): %s" % (p.returncode, p.stderr.decode(errors="replace")[-500:]))
        return 1
    tmps = temporaries(ref)
    if tmps:
        fail("the uninterrupted run left temporaries: %s" % ", ".join(tmps))
    events = [e for e in a.events.split(",") if e]
    rng = random.Random(a.seed)
    # the plan, in rounds of N stops: which are SIGINT and which wait for an event; the rest are
    # random delays. A stop that comes after its run has finished does not count: the stops go on
    # until N have landed mid-run (at most 3 N tries)
    def plan():
        while True:
            kinds = ["sigint"] * min(a.sigint, a.kills)
            kinds += ["event"] * (min(len(events) * 2, a.kills - len(kinds)) if events else 0)
            kinds += ["delay"] * (a.kills - len(kinds))
            rng.shuffle(kinds)
            yield from kinds
    print("%s: uninterrupted run %.2f s; %d stops, seed %d" % (name, T, a.kills, a.seed), flush=True)

    reset(a.base, run)
    pids = {}  # pid -> stop number, to say which stopped process left a temporary
    landed = finished = cycles = 0
    ev_i = 0
    kinds = plan()
    i = -1
    while landed < a.kills and i + 1 < 3 * a.kills:
        i += 1
        kind = next(kinds)
        delay = rng.uniform(0, 1.1 * T)
        extra = rng.uniform(0, 0.005)
        pat = events[ev_i % len(events)] if kind == "event" else None
        if kind == "event":
            ev_i += 1
        before = set(files_of(run)) if kind == "event" else set()  # stale ones are no event
        proc = start(run)
        pids[proc.pid] = i + 1
        t_start = time.monotonic()
        hit = None
        if kind == "event":
            deadline = t_start + 3 * T + 5
            while proc.poll() is None and time.monotonic() < deadline:
                found = [rel for rel in files_of(run) if rel not in before and fnmatch.fnmatch(rel, pat)]
                if found:
                    hit = found[0]
                    break
                time.sleep(0.0005)
            if hit and extra > 0.004:  # now and then a little after the event, not right at it
                time.sleep(extra)
        else:
            while proc.poll() is None and time.monotonic() - t_start < delay:
                time.sleep(min(0.002, max(0.0, delay - (time.monotonic() - t_start))))
        t = time.monotonic() - t_start
        alive = proc.poll() is None
        if alive:
            if kind == "sigint":
                os.killpg(proc.pid, signal.SIGINT)
            else:
                os.kill(proc.pid, signal.SIGKILL)
        try:
            _, err = proc.communicate(timeout=60 + 5 * T)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            _, err = proc.communicate()
            fail("stop %d: the run did not end within %.0f s of %s" % (i + 1, 60 + 5 * T, kind))
        rc = proc.returncode
        if wait_group(proc.pid):
            fail("stop %d: a process started by the stopped run was still running %.0f s later" % (i + 1, 30.0))
        what = {"delay": "SIGKILL after %.3f s" % t, "sigint": "SIGINT (group) after %.3f s" % t,
                "event": "SIGKILL at %s (%.3f s)" % (hit or ("'%s' never appeared" % pat), t)}[kind]
        if alive:
            landed += 1
            state = "exit %d" % rc
        else:
            state = "had finished (exit %d)" % rc
        print("  stop %2d: %-60s %s" % (i + 1, what, state), flush=True)
        errtxt = err.decode(errors="replace").strip()
        if kind == "sigint" and alive:
            if rc not in ((0, a.sigint_exit, -signal.SIGINT) if a.sigint_exit is not None else (0, 1, 130, -signal.SIGINT)):
                fail("stop %d: SIGINT ended the run with status %d: %s" % (i + 1, rc, errtxt[-300:]))
        elif rc not in (0, -signal.SIGKILL):
            fail("stop %d: the rerun failed on its own (exit %d): %s" % (i + 1, rc, errtxt[-300:]))
        if rc == 0:
            # finished by itself: the directory must already be the uninterrupted one
            finished += 1
            for m in compare(ref, run, pids):
                fail("after cycle %d (stops up to %d): %s" % (cycles + 1, i + 1, m))
            cycles += 1
            reset(a.base, run)
    # finish and compare
    p = subprocess.run(argv(run), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if p.returncode != 0:
        fail("final rerun failed (%d): %s" % (p.returncode, p.stderr.decode(errors="replace")[-500:]))
    else:
        for m in compare(ref, run, pids):
            fail("after the final rerun: %s" % m)
    print("%s: %d stops landed mid-run in %d tries, %d cycles completed on their own; %s" %
          (name, landed, i + 1, finished, "FAILED" if fails else "identical, no temporaries"), flush=True)
    if landed < a.kills:
        fail("only %d of %d stops landed mid-run in %d tries (the run is too short to hit)" % (landed, a.kills, i + 1))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
