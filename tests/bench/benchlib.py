"""What the Python benchmarks share: running the workbench headless on a config, and reading
Fashion-MNIST's IDX files."""
import gzip, json, os, struct, subprocess, sys, tempfile

DATA = "/usr/share/datasets/fashion-mnist"


def run(workbench, store, config, extra=()):
    """Runs CONFIG (a dict) with the workbench into STORE and returns its JSON summary; exits naming
    the calling script and the run when it did not complete."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(config, f)
        path = f.name
    try:
        done = subprocess.run([workbench, "run", path, "--db", store, "--json", *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    finally:
        os.unlink(path)
    try:
        summary = json.loads(done.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        summary = {"status": "failed", "error": (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1]}
    if summary.get("status") != "completed":
        sys.exit(f"{os.path.basename(sys.argv[0])}: {config['name']}: {summary.get('status')}: {summary.get('error')}")
    return summary


def idx(name):
    """The tensor in Fashion-MNIST's gzipped IDX file NAME (needs torch)."""
    import torch
    with gzip.open(os.path.join(DATA, name), "rb") as f:
        raw = f.read()
    dims = raw[3]
    shape = struct.unpack(">" + "I" * dims, raw[4:4 + 4 * dims])
    return torch.frombuffer(bytearray(raw[4 + 4 * dims:]), dtype=torch.uint8).reshape(shape)
