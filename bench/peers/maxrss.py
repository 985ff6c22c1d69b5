"""Runs a command and, once it exits, prints "MAXRSS <KiB>": the peak
resident memory of that process (getrusage of the waited-for child), the
same measure for every implementation. Output of the command passes through.
"""

import resource
import signal
import subprocess
import sys

child = subprocess.Popen(sys.argv[1:])
signal.signal(signal.SIGTERM, lambda *_: child.kill())
status = child.wait()
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(f"MAXRSS {peak}", flush=True)
sys.exit(status)
